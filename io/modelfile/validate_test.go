package modelfile_test

import (
	"encoding/binary"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/io/modelfile"
)

// invalidCase is a file Read must reject with an error wrapping kind whose
// message contains msg.
type invalidCase struct {
	name string
	file []byte
	kind error
	msg  string
}

// entry is one F32 tensor's header entry.
func entry(name, shape, offsets string) string {
	return `"` + name + `":{"dtype":"F32","shape":` + shape + `,"data_offsets":` + offsets + `}`
}

// invalidFiles lists the validation checks, one hostile file each.
func invalidFiles(tb testing.TB) []invalidCase {
	good := encode(tb, sample())
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)-8] ^= 0x01 // a data byte (inside "step")
	lenPrefix := func(n uint64, rest int) []byte {
		return append(binary.LittleEndian.AppendUint64(nil, n), make([]byte, rest)...)
	}
	four := f32(1)
	return []invalidCase{
		{"empty file", nil, modelfile.ErrCorrupt, "shorter than"},
		{"seven bytes", make([]byte, 7), modelfile.ErrCorrupt, "shorter than"},
		{"header length beyond file", lenPrefix(1000, 20), modelfile.ErrCorrupt, "runs past the end"},
		{"header length over cap", lenPrefix(modelfile.MaxHeaderLen+1, 8), modelfile.ErrCorrupt, "exceeds the limit"},
		{"header length 2^64-1", lenPrefix(1<<64-1, 8), modelfile.ErrCorrupt, "exceeds the limit"},
		{"empty header", raw("", nil), modelfile.ErrCorrupt, "not a JSON object"},
		{"header not json", raw(`{"a":`, nil), modelfile.ErrCorrupt, "not valid JSON"},
		{"header truncated object", raw(`{"a":{"dtype":"F32"`, nil), modelfile.ErrCorrupt, "not valid JSON"},
		{"header is an array", raw(`[1,2]`, nil), modelfile.ErrCorrupt, "not a JSON object"},
		{"header is null", raw(`null`, nil), modelfile.ErrCorrupt, "not a JSON object"},
		{"content after object", raw(`{} {}`, nil), modelfile.ErrCorrupt, "after the JSON object"},
		{"tensor entry not object", raw(`{"a":1}`, nil), modelfile.ErrCorrupt, `tensor "a" is not an object`},
		{"dtype not string", raw(`{"a":{"dtype":1,"shape":[1],"data_offsets":[0,4]}}`, four), modelfile.ErrCorrupt, "dtype is 1"},
		{"shape not array", raw(`{"a":{"dtype":"F32","shape":"1","data_offsets":[0,4]}}`, four), modelfile.ErrCorrupt, "shape is not an array"},
		{"shape holds a string", raw(`{`+entry("a", `["1"]`, `[0,4]`)+`}`, four), modelfile.ErrCorrupt, "not a number"},
		{"shape holds a fraction", raw(`{`+entry("a", `[1.5]`, `[0,4]`)+`}`, four), modelfile.ErrCorrupt, "non-negative 64-bit integer"},
		{"negative dimension", raw(`{`+entry("a", `[-1]`, `[0,4]`)+`}`, four), modelfile.ErrCorrupt, "negative value -1"},
		{"dimension over 2^64", raw(`{`+entry("a", `[18446744073709551616]`, `[0,4]`)+`}`, four), modelfile.ErrCorrupt, "non-negative 64-bit integer"},
		{"offsets not a pair", raw(`{`+entry("a", `[1]`, `[4]`)+`}`, four), modelfile.ErrCorrupt, "has 1 values, want 2"},
		{"negative offset", raw(`{`+entry("a", `[1]`, `[-4,0]`)+`}`, four), modelfile.ErrCorrupt, "negative value -4"},
		{"missing field", raw(`{"a":{"dtype":"F32","shape":[1]}}`, four), modelfile.ErrCorrupt, `missing field "data_offsets"`},
		{"unknown field", raw(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":0}}`, four), modelfile.ErrCorrupt, `unknown field "x"`},
		{"duplicate field", raw(`{"a":{"dtype":"F32","shape":[1],"shape":[1],"data_offsets":[0,4]}}`, four), modelfile.ErrCorrupt, `duplicate field "shape"`},
		{"metadata not object", raw(`{"__metadata__":[]}`, nil), modelfile.ErrCorrupt, "__metadata__ is not an object"},
		{"metadata value not string", raw(`{"__metadata__":{"epoch":3}}`, nil), modelfile.ErrCorrupt, `metadata "epoch" is 3`},
		{"metadata value null", raw(`{"__metadata__":{"epoch":null}}`, nil), modelfile.ErrCorrupt, `metadata "epoch"`},
		{"duplicate metadata key", raw(`{"__metadata__":{"k":"1","k":"2"}}`, nil), modelfile.ErrCorrupt, `duplicate metadata key "k"`},
		{"duplicate metadata object", raw(`{"__metadata__":{},"__metadata__":{}}`, nil), modelfile.ErrCorrupt, `duplicate header key "__metadata__"`},
		{"duplicate tensor name", raw(`{`+entry("a", `[1]`, `[0,4]`)+`,`+entry("a", `[1]`, `[4,8]`)+`}`, f32(1, 2)), modelfile.ErrCorrupt, `duplicate header key "a"`},
		{"duplicate identical tensor", raw(`{`+entry("a", `[1]`, `[0,4]`)+`,`+entry("a", `[1]`, `[0,4]`)+`}`, four), modelfile.ErrCorrupt, `duplicate header key "a"`},
		{"empty tensor name", raw(`{`+entry("", `[1]`, `[0,4]`)+`}`, four), modelfile.ErrCorrupt, "empty tensor name"},
		{"begin after end", raw(`{`+entry("a", `[1]`, `[4,0]`)+`}`, f32(1, 2)), modelfile.ErrCorrupt, "begin after end"},
		{"end beyond buffer", raw(`{`+entry("a", `[2]`, `[0,8]`)+`}`, four), modelfile.ErrCorrupt, "out of range"},
		{"end near 2^64", raw(`{`+entry("a", `[1]`, `[18446744073709551612,18446744073709551615]`)+`}`, four), modelfile.ErrCorrupt, "out of range"},
		{"overlap", raw(`{`+entry("a", `[2]`, `[0,8]`)+`,`+entry("b", `[2]`, `[4,12]`)+`}`, f32(1, 2, 3)), modelfile.ErrCorrupt, "overlaps"},
		{"same span twice", raw(`{`+entry("a", `[1]`, `[0,4]`)+`,`+entry("b", `[1]`, `[0,4]`)+`}`, four), modelfile.ErrCorrupt, "overlaps"},
		{"gap", raw(`{`+entry("a", `[1]`, `[0,4]`)+`,`+entry("b", `[1]`, `[8,12]`)+`}`, f32(1, 2, 3)), modelfile.ErrCorrupt, "gap of 4 bytes"},
		{"gap at start", raw(`{`+entry("a", `[1]`, `[4,8]`)+`}`, f32(1, 2)), modelfile.ErrCorrupt, "gap of 4 bytes at offset 0"},
		{"trailing bytes", raw(`{`+entry("a", `[1]`, `[0,4]`)+`}`, f32(1, 2)), modelfile.ErrCorrupt, "4 trailing bytes"},
		{"trailing bytes no tensors", raw(`{}`, four), modelfile.ErrCorrupt, "4 trailing bytes"},
		{"shape and span disagree", raw(`{`+entry("a", `[2]`, `[0,4]`)+`}`, four), modelfile.ErrCorrupt, "needs 8 bytes"},
		{"shape product overflow", raw(`{`+entry("a", `[1099511627776,1099511627776]`, `[0,4]`)+`}`, four), modelfile.ErrCorrupt, "overflows"},
		{"huge dim behind zero", raw(`{`+entry("a", `[0,18446744073709551615]`, `[0,0]`)+`}`, nil), modelfile.ErrCorrupt, "overflows"},
		{"huge shape, tiny file", raw(`{`+entry("a", `[268435456]`, `[0,1073741824]`)+`}`, four), modelfile.ErrCorrupt, "out of range"},
		{"unsupported dtype", raw(`{"x":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`, four), modelfile.ErrUnsupported, `modelfile: tensor "x": unsupported dtype "F16"`},
		{"unknown dtype", raw(`{"x":{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}}`, four), modelfile.ErrUnsupported, `modelfile: tensor "x": unknown dtype "Q7"`},
		{"newer format version", raw(`{"__metadata__":{"format":"gozoo","format_version":"3"}}`, nil), modelfile.ErrUnsupported, "format_version 3 is newer than this reader's 2"},
		{"format version not a number", raw(`{"__metadata__":{"format":"gozoo","format_version":"one"}}`, nil), modelfile.ErrCorrupt, `format_version "one"`},
		{"gozoo format without version", raw(`{"__metadata__":{"format":"gozoo"}}`, nil), modelfile.ErrCorrupt, "without format_version"},
		{"checksum mismatch", flipped, modelfile.ErrChecksum, "data hashes to sha256:"},
		{"checksum malformed", raw(`{"__metadata__":{"checksum":"md5:00"}}`, nil), modelfile.ErrChecksum, `checksum "md5:00"`},
	}
}

func TestReadRejects(t *testing.T) {
	for _, tc := range invalidFiles(t) {
		t.Run(tc.name, func(t *testing.T) {
			f, err := readBytes(tc.file)
			if err == nil {
				t.Fatalf("Read accepted the file: %d tensors, metadata %v", len(f.Tensors), f.Metadata)
			}
			if !errors.Is(err, tc.kind) {
				t.Errorf("error %q does not wrap %v", err, tc.kind)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not mention %q", err, tc.msg)
			}
			if !strings.HasPrefix(err.Error(), "modelfile: ") {
				t.Errorf("error %q does not start with the package name", err)
			}
		})
	}
}

// TestReadAllocationBound checks that no hostile header makes Read allocate
// memory sized from a header field: every case is tiny, so anything past a
// small constant means Read trusted a number it should have checked.
func TestReadAllocationBound(t *testing.T) {
	const limit = 1 << 20
	for _, tc := range invalidFiles(t) {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, _ = readBytes(tc.file)
			runtime.ReadMemStats(&after)
			if got := after.TotalAlloc - before.TotalAlloc; got > limit {
				t.Errorf("Read of a %d-byte file allocated %d bytes", len(tc.file), got)
			}
		})
	}
}

func TestReadAccepts(t *testing.T) {
	type want struct {
		name  string
		shape []int
		data  []float32
	}
	tests := []struct {
		name string
		file []byte
		want []want
	}{
		{
			name: "no tensors, no metadata",
			file: raw(`{}`, nil),
		},
		{
			name: "spans in any order, header order kept",
			file: raw(`{`+entry("a", `[2]`, `[4,12]`)+`,`+entry("b", `[1]`, `[0,4]`)+`}`, f32(9, 1, 2)),
			want: []want{{"a", []int{2}, []float32{1, 2}}, {"b", []int{1}, []float32{9}}},
		},
		{
			name: "foreign file without checksum",
			file: raw(`{"__metadata__":{"format":"pt"},`+entry("w", `[1,2]`, `[0,8]`)+`}`, f32(0.5, -1)),
			want: []want{{"w", []int{1, 2}, []float32{0.5, -1}}},
		},
		{
			name: "scalar and empty tensors, padded header",
			file: raw(`{`+entry("s", `[]`, `[0,4]`)+`,`+entry("e", `[3,0]`, `[4,4]`)+`}     `, f32(7)),
			want: []want{{"s", []int{}, []float32{7}}, {"e", []int{3, 0}, []float32{}}},
		},
		{
			name: "metadata last, escaped name",
			file: raw(`{`+entry(`a\u002fb`, `[1]`, `[0,4]`)+`,"__metadata__":{"epoch":"3"}}`, f32(3)),
			want: []want{{"a/b", []int{1}, []float32{3}}},
		},
		{
			name: "older format version",
			file: raw(`{"__metadata__":{"format":"gozoo","format_version":"1"}}`, nil),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := readBytes(tc.file)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			wantTensors := make([]modelfile.Tensor, len(tc.want))
			for i, w := range tc.want {
				wantTensors[i] = modelfile.Tensor{Name: w.name, Shape: w.shape, Data: w.data}
			}
			checkTensors(t, f.Tensors, wantTensors)
		})
	}
}
