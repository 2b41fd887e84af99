package csvdata

import (
	"bytes"
	"strings"
	"testing"
)

// maxFuzzError bounds an error message: at most maxListed column names and a
// value, each quoted by a 40-byte prefix (4 bytes per byte at worst).
const maxFuzzError = 4096

// FuzzLoad checks that no input makes Load panic, that an error stays short
// whatever the input (values are quoted by prefix), and that a table it
// accepts is consistent.
func FuzzLoad(f *testing.F) {
	for _, name := range BuiltinNames() {
		data, err := Builtin(name)
		if err != nil {
			f.Fatal(err)
		}
		if len(data) > 2000 {
			data = data[:2000]
		}
		f.Add(data, "")
	}
	f.Add([]byte("a,b,target\n1,2,x\n3,4,y\n"), "target")
	f.Add([]byte("a,b\n1,NA\n"), "b")
	f.Add([]byte("a,a\n1,2\n"), "")
	// Edge cases: one class, quoted line breaks, a bare quote, CRLF, a BOM,
	// a long cell, a cell over MaxCellBytes, a long unknown target.
	f.Add([]byte("a,y\n1,x\n2,x\n"), "")
	f.Add([]byte("a,y\n\"1\n\",0\n2,\"x\"\"y\"\n"), "y")
	f.Add([]byte("a,y\n1\"2,0\n"), "")
	f.Add([]byte("\ufeffa,y\r\n1,0\r\n2,1\r\n"), "")
	f.Add([]byte("a,y\n"+strings.Repeat("9", 400)+",1\n1,0\n"), "")
	f.Add([]byte("a,y\n1,\""+strings.Repeat("z", MaxCellBytes)+"\"\n"), "")
	f.Add([]byte("a,y\n1,0\n"), strings.Repeat("t", 300))
	f.Fuzz(func(t *testing.T, data []byte, target string) {
		tbl, err := Load(bytes.NewReader(data), "fuzz.csv", Options{Target: target})
		if err != nil {
			if len(err.Error()) > maxFuzzError {
				t.Fatalf("error of %d bytes: %.300q", len(err.Error()), err)
			}
			return
		}
		if len(tbl.ClassNames) == 1 {
			t.Fatalf("accepted a single class %.40q", tbl.ClassNames[0])
		}
		if len(tbl.X) != tbl.Len()*len(tbl.FeatureNames) {
			t.Fatalf("%d values for %d rows of %d features", len(tbl.X), tbl.Len(), len(tbl.FeatureNames))
		}
		for _, l := range tbl.Labels {
			if l < 0 || l >= len(tbl.ClassNames) {
				t.Fatalf("label %d outside %d classes", l, len(tbl.ClassNames))
			}
		}
	})
}
