package modelfile_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/io/modelfile"
)

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		file *modelfile.File
	}{
		{"sample", sample()},
		{"no tensors, nil metadata", &modelfile.File{}},
		{"overridden reserved keys", &modelfile.File{
			Metadata: map[string]string{"format": "other", "checksum": "sha256:bad", "format_version": "9"},
			Tensors:  []modelfile.Tensor{{Name: "z", Shape: []int{1}, Data: []float32{1}}},
		}},
		{"several chunks", &modelfile.File{Tensors: []modelfile.Tensor{
			{Name: "big", Shape: []int{3, 20000}, Data: ramp(60000)},
			{Name: "a", Shape: []int{5}, Data: ramp(5)},
		}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := encode(t, tc.file)
			got, err := readBytes(b)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			checkTensors(t, got.Tensors, tc.file.Tensors)
			for k, v := range tc.file.Metadata {
				if k == modelfile.KeyFormat || k == modelfile.KeyFormatVersion || k == modelfile.KeyChecksum {
					continue
				}
				if got.Metadata[k] != v {
					t.Errorf("metadata %q = %q, want %q", k, got.Metadata[k], v)
				}
			}
			if got.Metadata["format"] != "gozoo" || got.Metadata["format_version"] != "1" {
				t.Errorf("format metadata = %q %q, want gozoo 1", got.Metadata["format"], got.Metadata["format_version"])
			}
		})
	}
}

func ramp(n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(i) * 0.5
	}
	return out
}

// TestWriteLayout checks the bytes against the specification by hand rather
// than through Read: aligned data, offsets ascending in the given order, and
// the checksum over the data buffer.
func TestWriteLayout(t *testing.T) {
	f := &modelfile.File{Tensors: []modelfile.Tensor{
		{Name: "b", Shape: []int{2}, Data: []float32{1, 2}},
		{Name: "a", Shape: []int{1}, Data: []float32{-3}},
	}}
	b := encode(t, f)
	n := binary.LittleEndian.Uint64(b)
	if (8+n)%8 != 0 {
		t.Errorf("data starts at byte %d, not a multiple of 8", 8+n)
	}
	header := string(b[8 : 8+n])
	data := b[8+n:]
	if want := f32(1, 2, -3); !bytes.Equal(data, want) {
		t.Errorf("data buffer % x, want % x", data, want)
	}
	sum := sha256.Sum256(data)
	for _, want := range []string{
		`"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}`,
		`"a":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}`,
		`"checksum":"sha256:` + hex.EncodeToString(sum[:]) + `"`,
		`"format":"gozoo"`,
		`"format_version":"1"`,
	} {
		if !strings.Contains(header, want) {
			t.Errorf("header %s lacks %s", header, want)
		}
	}
	if strings.Index(header, `"b":`) > strings.Index(header, `"a":`) {
		t.Errorf("header %s does not keep the given order", header)
	}
	if trimmed := strings.TrimRight(header, " "); !strings.HasSuffix(trimmed, "}") || len(header)-len(trimmed) > 7 {
		t.Errorf("header %q is not padded with up to 7 spaces", header)
	}
}

func TestWriteRejects(t *testing.T) {
	tests := []struct {
		name string
		file *modelfile.File
		msg  string
	}{
		{"nil file", nil, "nil file"},
		{"empty name", &modelfile.File{Tensors: []modelfile.Tensor{{Shape: []int{1}, Data: []float32{1}}}}, "empty tensor name"},
		{"reserved name", &modelfile.File{Tensors: []modelfile.Tensor{{Name: "__metadata__"}}}, "reserved"},
		{"invalid utf-8 name", &modelfile.File{Tensors: []modelfile.Tensor{{Name: "a\xff", Data: []float32{1}}}}, "UTF-8"},
		{"invalid utf-8 metadata", &modelfile.File{Metadata: map[string]string{"k": "\xff"}}, `metadata "k"`},
		{"duplicate name", &modelfile.File{Tensors: []modelfile.Tensor{{Name: "a", Data: []float32{1}}, {Name: "a", Data: []float32{1}}}}, `duplicate tensor name "a"`},
		{"negative dimension", &modelfile.File{Tensors: []modelfile.Tensor{{Name: "a", Shape: []int{-1, -1}, Data: []float32{1}}}}, "negative dimension"},
		{"shape overflow", &modelfile.File{Tensors: []modelfile.Tensor{{Name: "a", Shape: []int{1 << 40, 1 << 40}}}}, "overflows"},
		{"shape and data disagree", &modelfile.File{Tensors: []modelfile.Tensor{{Name: "a", Shape: []int{2, 2}, Data: []float32{1}}}}, "holds 4 values, data has 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := modelfile.Write(&buf, tc.file)
			if err == nil {
				t.Fatal("Write accepted the file")
			}
			if !strings.Contains(err.Error(), tc.msg) || !strings.HasPrefix(err.Error(), "modelfile: ") {
				t.Errorf("error %q does not mention %q", err, tc.msg)
			}
			if buf.Len() != 0 {
				t.Errorf("Write wrote %d bytes before failing", buf.Len())
			}
		})
	}
}

// failingWriter accepts limit bytes, then fails.
type failingWriter struct{ limit int }

var errDiskFull = errors.New("disk full")

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.limit {
		return 0, errDiskFull
	}
	w.limit -= len(p)
	return len(p), nil
}

func TestWritePropagatesErrors(t *testing.T) {
	for _, limit := range []int{0, 100} {
		err := modelfile.Write(&failingWriter{limit: limit}, sample())
		if !errors.Is(err, errDiskFull) {
			t.Errorf("limit %d: error %v, want one wrapping %v", limit, err, errDiskFull)
		}
	}
	big := &modelfile.File{Tensors: []modelfile.Tensor{{Name: "w", Shape: []int{40000}, Data: ramp(40000)}}}
	if err := modelfile.Write(&failingWriter{limit: 70000}, big); !errors.Is(err, errDiskFull) {
		t.Errorf("mid-data: error %v, want one wrapping %v", err, errDiskFull)
	}
}

// TestReadSizeLargerThanData checks that a size past the reader's end is a
// truncated file, not a crash or an I/O error.
func TestReadSizeLargerThanData(t *testing.T) {
	b := encode(t, sample())
	_, err := modelfile.Read(bytes.NewReader(b[:len(b)-4]), int64(len(b)))
	if !errors.Is(err, modelfile.ErrCorrupt) || !strings.Contains(err.Error(), "ends early") {
		t.Errorf("error %v, want ErrCorrupt saying the file ends early", err)
	}
}

// TestNaNSurvives guards the bit-exact encoding (a float64 detour would also
// pass value checks for ordinary numbers).
func TestNaNSurvives(t *testing.T) {
	payload := math.Float32frombits(0x7fc00123)
	f := &modelfile.File{Tensors: []modelfile.Tensor{{Name: "n", Shape: []int{1}, Data: []float32{payload}}}}
	got, err := readBytes(encode(t, f))
	if err != nil {
		t.Fatal(err)
	}
	if bitsGot := math.Float32bits(got.Tensors[0].Data[0]); bitsGot != 0x7fc00123 {
		t.Errorf("NaN payload %#x, want 0x7fc00123", bitsGot)
	}
}

// I8 tensors (quantized weights) round-trip, make the file format version
// 2, and keep their bytes under the checksum.
func TestInt8Tensors(t *testing.T) {
	f := &modelfile.File{Metadata: map[string]string{"k": "v"}, Tensors: []modelfile.Tensor{
		{Name: "w", Shape: []int{2, 3}, Int8: []int8{-127, -1, 0, 1, 64, 127}},
		{Name: "w.scale", Shape: []int{3}, Data: []float32{0.5, 1, 2}},
		{Name: "odd", Shape: []int{3}, Int8: []int8{5, 6, 7}}, // an odd byte count before nothing
	}}
	var buf bytes.Buffer
	if err := modelfile.Write(&buf, f); err != nil {
		t.Fatal(err)
	}
	got, err := modelfile.Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if got.Metadata[modelfile.KeyFormatVersion] != "2" {
		t.Errorf("format_version %q, want 2 for a file with I8 tensors", got.Metadata[modelfile.KeyFormatVersion])
	}
	if !reflect.DeepEqual(got.Tensors, f.Tensors) {
		t.Errorf("tensors %+v, want %+v", got.Tensors, f.Tensors)
	}
	if !strings.Contains(buf.String(), `"w":{"dtype":"I8","shape":[2,3],"data_offsets":[0,6]}`) {
		t.Errorf("header: %s", buf.String()[:200])
	}
	// A flipped int8 byte fails the checksum.
	data := buf.Bytes()
	data[len(data)-1] ^= 1
	if _, err := modelfile.Read(bytes.NewReader(data), int64(len(data))); !errors.Is(err, modelfile.ErrChecksum) {
		t.Errorf("flipped byte: %v", err)
	}
	if err := modelfile.Write(&buf, &modelfile.File{Tensors: []modelfile.Tensor{{Name: "x", Shape: []int{2}, Int8: []int8{1}}}}); err == nil {
		t.Error("short int8 data: no error")
	}
	// A float32-only file stays version 1, readable by the first readers.
	buf.Reset()
	if err := modelfile.Write(&buf, &modelfile.File{Tensors: []modelfile.Tensor{{Name: "x", Shape: []int{1}, Data: []float32{1}}}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"format_version":"1"`) {
		t.Error("an F32 file is not format_version 1")
	}
}
