package csvdata

import (
	"bytes"
	"testing"
)

// FuzzLoad checks that no input makes Load panic, and that a table it
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
	f.Fuzz(func(t *testing.T, data []byte, target string) {
		tbl, err := Load(bytes.NewReader(data), "fuzz.csv", Options{Target: target})
		if err != nil {
			return
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
