package modelfile_test

import (
	"testing"
)

// FuzzRead checks that no input makes Read panic or hang, and that whatever
// Read accepts survives a Write/Read round trip unchanged.
func FuzzRead(f *testing.F) {
	f.Add(encode(f, sample()))
	f.Add(raw(`{"__metadata__":{"format":"pt"},`+entry("a", `[2]`, `[4,12]`)+`,`+entry("b", `[]`, `[0,4]`)+`}`, f32(1, 2, 3)))
	for _, tc := range invalidFiles(f) {
		f.Add(tc.file)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		first, err := readBytes(data)
		if err != nil {
			return
		}
		again, err := readBytes(encode(t, first))
		if err != nil {
			t.Fatalf("rewritten file does not load: %v", err)
		}
		checkTensors(t, again.Tensors, first.Tensors)
	})
}
