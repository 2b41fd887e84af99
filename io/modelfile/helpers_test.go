package modelfile_test

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"

	"github.com/gozoo/gozoo/io/modelfile"
)

// raw assembles a file by hand: length prefix, header text, data buffer.
func raw(header string, buf []byte) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	out = append(out, header...)
	return append(out, buf...)
}

// f32 encodes values as little-endian float32 bytes.
func f32(values ...float32) []byte {
	var out []byte
	for _, v := range values {
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(v))
	}
	return out
}

// readBytes reads a whole in-memory file.
func readBytes(b []byte) (*modelfile.File, error) {
	return modelfile.Read(bytes.NewReader(b), int64(len(b)))
}

// encode writes f to memory.
func encode(tb testing.TB, f *modelfile.File) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := modelfile.Write(&buf, f); err != nil {
		tb.Fatalf("Write: %v", err)
	}
	return buf.Bytes()
}

// sample is a small file whose tensor names are not in sorted order, so a
// writer that sorts by name is caught. testdata/format_v1.safetensors holds
// it: a change here needs `go test -run Golden -update`, and is allowed only
// while version 1 is the current format.
func sample() *modelfile.File {
	return &modelfile.File{
		Metadata: map[string]string{"kind": "mlp", "config": `{"hidden":[3]}`},
		Tensors: []modelfile.Tensor{
			{Name: "dense2/weight", Shape: []int{2, 3}, Data: []float32{1, -2, 3.5, 0, float32(math.Inf(1)), -0.125}},
			{Name: "dense1/bias", Shape: []int{3}, Data: []float32{0.1, 0.2, 0.3}},
			{Name: "empty", Shape: []int{0, 4}, Data: []float32{}},
			{Name: "step", Shape: []int{}, Data: []float32{42}},
			{Name: "nan", Shape: []int{1}, Data: []float32{float32(math.NaN())}},
		},
	}
}

// checkTensors compares tensors in order, values bit for bit (NaN included).
func checkTensors(t *testing.T, got, want []modelfile.Tensor) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d tensors, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Name != w.Name {
			t.Errorf("tensor %d: name %q, want %q", i, g.Name, w.Name)
		}
		if len(g.Shape) != len(w.Shape) {
			t.Errorf("tensor %q: shape %v, want %v", w.Name, g.Shape, w.Shape)
		} else {
			for j := range w.Shape {
				if g.Shape[j] != w.Shape[j] {
					t.Errorf("tensor %q: shape %v, want %v", w.Name, g.Shape, w.Shape)
					break
				}
			}
		}
		if len(g.Data) != len(w.Data) {
			t.Errorf("tensor %q: %d values, want %d", w.Name, len(g.Data), len(w.Data))
			continue
		}
		for j := range w.Data {
			if math.Float32bits(g.Data[j]) != math.Float32bits(w.Data[j]) {
				t.Errorf("tensor %q: value %d is %v, want %v", w.Name, j, g.Data[j], w.Data[j])
				break
			}
		}
	}
}
