package modelfile_test

import (
	"strconv"
	"strings"
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
	// Edge cases beyond invalidFiles: a zero dimension beside a huge one,
	// an empty tensor, a name that is not UTF-8 or holds a NUL, deep JSON
	// nesting in a metadata value, and many tiny tensors.
	f.Add(raw(`{`+entry("a", `[0,4611686018427387904]`, `[0,0]`)+`}`, nil))
	f.Add(raw(`{`+entry("e", `[0]`, `[0,0]`)+`,`+entry("b", `[1]`, `[0,4]`)+`}`, f32(1)))
	f.Add(raw(`{`+entry("\xff\u0000", `[1]`, `[0,4]`)+`}`, f32(1)))
	f.Add(raw(`{"__metadata__":{"a":`+strings.Repeat("[", 10000)+strings.Repeat("]", 10000)+`}}`, nil))
	var many []string
	for i := range 200 {
		many = append(many, entry(strings.Repeat("t", i+1), `[1]`, "["+strconv.Itoa(4*i)+","+strconv.Itoa(4*i+4)+"]"))
	}
	f.Add(raw("{"+strings.Join(many, ",")+"}", make([]byte, 800)))
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
