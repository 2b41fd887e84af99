package modelfile

import (
	"errors"
	"fmt"
)

// Metadata keys that Write sets on every file.
const (
	// KeyFormat names the writer's format; Write sets it to FormatName.
	KeyFormat = "format"
	// KeyFormatVersion holds the layout version as a decimal string.
	KeyFormatVersion = "format_version"
	// KeyChecksum holds "sha256:" and the lowercase hex SHA-256 of the data buffer.
	KeyChecksum = "checksum"
)

const (
	// FormatName is the value of the "format" key in files gozoo writes.
	FormatName = "gozoo"
	// FormatVersion is the newest layout version Read accepts. Write
	// writes version 1 for files of F32 tensors only (every reader since
	// the first takes them) and 2 for files with I8 tensors.
	FormatVersion = 2
	// MaxHeaderLen is the largest JSON header Read accepts, in bytes (the
	// reference safetensors implementation uses the same cap).
	MaxHeaderLen = 100_000_000
)

// The dtypes gozoo stores: float32 values, and int8 ones (quantized
// weights, format version 2).
const (
	dtypeF32 = "F32"
	dtypeI8  = "I8"
)

// metadataKey is the reserved header key that holds the string-to-string map.
const metadataKey = "__metadata__"

// Sentinel errors that Read's errors wrap; test them with errors.Is.
var (
	// ErrCorrupt marks a file whose structure is invalid: bad header length,
	// malformed JSON, offsets that do not tile the data, and so on.
	ErrCorrupt = errors.New("modelfile: corrupt file")
	// ErrChecksum marks a file whose "checksum" metadata is malformed or does
	// not match its data.
	ErrChecksum = errors.New("modelfile: checksum mismatch")
	// ErrUnsupported marks a well-formed file this version cannot load: a dtype
	// other than F32 and I8, or a format_version newer than FormatVersion.
	ErrUnsupported = errors.New("modelfile: unsupported content")
)

// Tensor is one named tensor, stored row-major: float32 (Data) or, for a
// quantized weight, int8 (Int8, with Data nil).
type Tensor struct {
	// Name is the tensor's key in the header, e.g. "dense1/weight".
	Name string
	// Shape lists the dimensions; an empty shape is a scalar (one value).
	Shape []int
	// Data holds the product of Shape values, row-major.
	Data []float32
	// Int8 holds the values of an I8 tensor instead of Data.
	Int8 []int8
}

// IsInt8 reports whether the tensor is stored as I8.
func (t *Tensor) IsInt8() bool { return t.Int8 != nil }

func (t *Tensor) dtype() string {
	if t.IsInt8() {
		return dtypeI8
	}
	return dtypeF32
}

func (t *Tensor) len() int {
	if t.IsInt8() {
		return len(t.Int8)
	}
	return len(t.Data)
}

func (t *Tensor) bytes() int {
	if t.IsInt8() {
		return len(t.Int8)
	}
	return 4 * len(t.Data)
}

// File is the content of a model file.
//
// Tensors keep their order: Write lays them out in the given order with
// ascending offsets, and Read returns them in header order, so a file written
// by Write reads back in the same order. Other safetensors readers key tensors
// by name and ignore the order.
type File struct {
	// Metadata is the header's "__metadata__" map. Write adds KeyFormat,
	// KeyFormatVersion and KeyChecksum, replacing any values given for them.
	Metadata map[string]string
	// Tensors are the file's tensors, names unique.
	Tensors []Tensor
}

// fileError is an error with a full message that still matches a sentinel
// through errors.Is.
type fileError struct {
	msg  string
	kind error
}

func (e *fileError) Error() string { return e.msg }
func (e *fileError) Unwrap() error { return e.kind }

// newError returns an error reading "modelfile: <formatted message>" that wraps kind.
func newError(kind error, format string, args ...any) error {
	return &fileError{msg: "modelfile: " + fmt.Sprintf(format, args...), kind: kind}
}
