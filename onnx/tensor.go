package onnx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Errors that Import's errors wrap; test with errors.Is.
var (
	// ErrCorrupt marks a file that is not a well-formed ONNX model: bad
	// protobuf, a tensor whose data does not fit its shape, a cycle.
	ErrCorrupt = errors.New("onnx: corrupt file")
	// ErrUnsupported marks a well-formed model that gozoo cannot represent:
	// an operator, attribute or data type outside the Sequential layers.
	ErrUnsupported = errors.New("onnx: unsupported model")
	// ErrLimit marks a file over one of Limits, or over the fixed caps on
	// lists in a file (tensor rank, attributes per node).
	ErrLimit = errors.New("onnx: file over a limit")
)

// kindError is a message that wraps one of the sentinel errors without
// repeating its text.
type kindError struct {
	msg  string
	kind error
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

func corruptf(format string, args ...any) error {
	return &kindError{"onnx: " + fmt.Sprintf(format, args...), ErrCorrupt}
}

func unsupportedf(format string, args ...any) error {
	return &kindError{"onnx: " + fmt.Sprintf(format, args...), ErrUnsupported}
}

func limitf(format string, args ...any) error {
	return &kindError{"onnx: " + fmt.Sprintf(format, args...), ErrLimit}
}

// dataTypeName names TensorProto.DataType values in messages.
func dataTypeName(t int64) string {
	names := map[int64]string{0: "UNDEFINED", 1: "FLOAT", 2: "UINT8", 3: "INT8", 4: "UINT16", 5: "INT16",
		6: "INT32", 7: "INT64", 8: "STRING", 9: "BOOL", 10: "FLOAT16", 11: "DOUBLE", 12: "UINT32",
		13: "UINT64", 14: "COMPLEX64", 15: "COMPLEX128", 16: "BFLOAT16"}
	if n, ok := names[t]; ok {
		return n
	}
	return fmt.Sprintf("data type %d", t)
}

// elements returns the number of elements of dims, checked against max
// before anything is allocated: negative dimensions are corrupt, and a
// product over max (or one that would overflow) is over the limit.
func elements(what string, dims []int64, max int) (int, error) {
	n, zero := 1, false
	for _, d := range dims {
		switch {
		case d < 0:
			return 0, corruptf("%s has a negative dimension in %v", what, dims)
		case d == 0:
			zero = true
		case d > int64(max/n):
			return 0, limitf("%s has shape %v, more than %d elements", what, dims, max)
		default:
			n *= int(d)
		}
	}
	if zero {
		return 0, nil
	}
	return n, nil
}

func (t *tensor) check(what string) error {
	switch {
	case t.external:
		return unsupportedf("%s keeps its data in an external file; gozoo reads self-contained models only", what)
	case t.segment:
		return unsupportedf("%s is a segment of a larger tensor", what)
	}
	return nil
}

// float32s returns a FLOAT tensor's values, after checking that its data
// holds exactly the elements its shape says, and at most max of them.
func (t *tensor) float32s(what string, max int) ([]float32, error) {
	if err := t.check(what); err != nil {
		return nil, err
	}
	if t.dataType != typeFloat {
		return nil, unsupportedf("%s has data type %s; gozoo weights are FLOAT (float32)", what, dataTypeName(t.dataType))
	}
	n, err := elements(what, t.dims, max)
	if err != nil {
		return nil, err
	}
	var data []byte
	switch {
	case t.hasRaw && t.floatCount > 0:
		return nil, corruptf("%s has both raw_data and float_data", what)
	case t.hasRaw:
		data = t.raw
	case t.floatCount > 0:
		data = t.floats
	case t.hasOther || len(t.ints) > 0:
		return nil, corruptf("%s is FLOAT but holds another type's data", what)
	}
	if len(data) != 4*n {
		return nil, corruptf("%s has shape %v (%d values) but holds %d bytes of data", what, t.dims, n, len(data))
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
	}
	return out, nil
}

// int64s returns an INT64 tensor's values (shapes, pads), checked as
// float32s checks, with at most maxIntElements of them.
func (t *tensor) int64s(what string) ([]int64, error) {
	if err := t.check(what); err != nil {
		return nil, err
	}
	if t.dataType != typeInt64 {
		return nil, unsupportedf("%s has data type %s, want INT64", what, dataTypeName(t.dataType))
	}
	n, err := elements(what, t.dims, maxIntElements)
	if err != nil {
		return nil, err
	}
	switch {
	case t.hasRaw && len(t.ints) > 0:
		return nil, corruptf("%s has both raw_data and int64_data", what)
	case t.hasRaw:
		if len(t.raw) != 8*n {
			return nil, corruptf("%s has shape %v (%d values) but holds %d bytes of data", what, t.dims, n, len(t.raw))
		}
		out := make([]int64, n)
		for i := range out {
			out[i] = int64(binary.LittleEndian.Uint64(t.raw[8*i:]))
		}
		return out, nil
	case t.floatCount > 0 || t.hasOther:
		return nil, corruptf("%s is INT64 but holds another type's data", what)
	}
	if len(t.ints) != n {
		return nil, corruptf("%s has shape %v (%d values) but holds %d values", what, t.dims, n, len(t.ints))
	}
	return append([]int64(nil), t.ints...), nil
}
