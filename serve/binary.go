package serve

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
)

// The protocol's binary tensor data extension (Triton's and KServe's):
// a body is a JSON request followed by its tensors' raw bytes, little
// endian and row major, in the order of the inputs; the header
// Inference-Header-Content-Length gives the JSON's length. An input with
// the parameter binary_data_size has its data there; an output requested
// with "binary_data": true (or every output, with the request parameter
// "binary_data_output": true) is answered the same way.

// ExtensionBinary names the binary tensor data extension in the server's
// metadata, as Triton does.
const ExtensionBinary = "binary_tensor_data"

// headerLength is the extension's HTTP header.
const headerLength = "Inference-Header-Content-Length"

type (
	// tensorParams are an input's or output's parameters that the server
	// reads; others are ignored.
	tensorParams struct {
		BinaryDataSize *int64 `json:"binary_data_size,omitempty"`
		BinaryData     *bool  `json:"binary_data,omitempty"`
	}
	// requestParams are a request's parameters that the server reads.
	requestParams struct {
		BinaryDataOutput *bool `json:"binary_data_output,omitempty"`
	}
)

// splitBody returns a request body's JSON and the binary tensor data that
// follows it, as the Inference-Header-Content-Length header divides them.
func splitBody(h http.Header, body []byte) (jsonPart, tensors []byte, err error) {
	v := h.Get(headerLength)
	if v == "" {
		return body, nil, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > int64(len(body)) {
		return nil, nil, fmt.Errorf("%s is %q: it must be the length of the body's JSON, at most the %d bytes of the body", headerLength, clipString(v, 24), len(body))
	}
	return body[:n], body[n:], nil
}

// binaryValues decodes a binary input tensor: FP32 values (checked finite,
// as JSON's grammar ensures for JSON data) or UINT8 ones, into out32, or
// into out64 when wide.
func binaryValues(b []byte, uint8s, wide bool) (out32 []float32, out64 []float64, err error) {
	if uint8s {
		out32 = make([]float32, len(b))
		for i, v := range b {
			out32[i] = float32(v)
		}
		return out32, nil, nil
	}
	n := len(b) / 4
	if wide {
		out64 = make([]float64, n)
	} else {
		out32 = make([]float32, n)
	}
	for i := range n {
		v := math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, nil, fmt.Errorf("binary value %d is %v: values must be finite", i, v)
		}
		if wide {
			out64[i] = float64(v)
		} else {
			out32[i] = v
		}
	}
	return out32, out64, nil
}

// binaryTensor encodes an output's data as the extension lays it out:
// FP32, FP64 and INT64 values in their native size, and BYTES elements as
// a 4-byte length followed by the bytes.
func binaryTensor(data any) ([]byte, error) {
	le := binary.LittleEndian
	var b []byte
	switch d := data.(type) {
	case []float32:
		b = make([]byte, 0, 4*len(d))
		for _, v := range d {
			b = le.AppendUint32(b, math.Float32bits(v))
		}
	case []float64:
		b = make([]byte, 0, 8*len(d))
		for _, v := range d {
			b = le.AppendUint64(b, math.Float64bits(v))
		}
	case []int:
		b = make([]byte, 0, 8*len(d))
		for _, v := range d {
			b = le.AppendUint64(b, uint64(int64(v)))
		}
	case []string:
		for _, s := range d {
			b = le.AppendUint32(b, uint32(len(s)))
			b = append(b, s...)
		}
	default:
		return nil, fmt.Errorf("no binary layout for %T", data)
	}
	return b, nil
}

// writeBinary answers with a JSON response followed by the binary data of
// its binary outputs.
func (e *exchange) writeBinary(resp inferResponse, tensors [][]byte) {
	head, err := json.Marshal(resp)
	if err != nil {
		e.fail(http.StatusInternalServerError, "encoding the answer: %v", err)
		return
	}
	e.Header().Set("Content-Type", "application/octet-stream")
	e.Header().Set(headerLength, strconv.Itoa(len(head)))
	size := len(head)
	for _, t := range tensors {
		size += len(t)
	}
	e.Header().Set("Content-Length", strconv.Itoa(size))
	e.WriteHeader(http.StatusOK)
	e.Write(head)
	for _, t := range tensors {
		e.Write(t)
	}
}
