// Package testutil holds helpers shared by gozoo's tests.
package testutil

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/io/idx"
)

// Close reports whether a and b agree within an absolute tolerance atol plus
// a relative tolerance rtol of the larger magnitude.
func Close(a, b, atol, rtol float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return false
	}
	return math.Abs(a-b) <= atol+rtol*math.Max(math.Abs(a), math.Abs(b))
}

// AllClose fails t for each element of got that is not close to want.
func AllClose(t testing.TB, what string, got, want []float64, atol, rtol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d values, want %d", what, len(got), len(want))
	}
	bad := 0
	for i := range got {
		if !Close(got[i], want[i], atol, rtol) {
			if bad < 5 {
				t.Errorf("%s[%d] = %.8g, want %.8g", what, i, got[i], want[i])
			}
			bad++
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d of %d values differ", what, bad, len(got))
	}
}

// SameBits fails t unless got and want hold the same float32 bit patterns:
// -0 differs from 0, and NaNs must match to the payload.
func SameBits(t testing.TB, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: value %d is %v (%#08x), want %v (%#08x) bit for bit",
				what, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

// WriteIDX writes an IDX file to path, gzipped if path ends in ".gz".
func WriteIDX(t testing.TB, path string, dims []int, data []uint8) {
	t.Helper()
	var buf bytes.Buffer
	if err := idx.Write(&buf, dims, data); err != nil {
		t.Fatal(err)
	}
	content := buf.Bytes()
	if strings.HasSuffix(path, ".gz") {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(content) // a bytes.Buffer cannot fail; Close reports errors
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		content = z.Bytes()
	}
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
}

// IDXFolder writes a folder in MNIST's layout (the four gzipped IDX files
// under MNIST's names, as Fashion-MNIST ships too) holding train and test
// 28x28 images. Image i has label i%10 and one lit pixel, at 10 times its
// label, so that a model can learn it. It returns the folder, a
// t.TempDir().
func IDXFolder(t testing.TB, train, test int) string {
	t.Helper()
	dir := t.TempDir()
	for _, set := range []struct {
		prefix string
		n      int
	}{{"train", train}, {"t10k", test}} {
		pixels := make([]uint8, set.n*28*28)
		labels := make([]uint8, set.n)
		for i := range labels {
			labels[i] = uint8(i % 10)
			pixels[i*784+int(labels[i])*10] = 255
		}
		WriteIDX(t, filepath.Join(dir, fmt.Sprintf("%s-images-idx3-ubyte.gz", set.prefix)), []int{set.n, 28, 28}, pixels)
		WriteIDX(t, filepath.Join(dir, fmt.Sprintf("%s-labels-idx1-ubyte.gz", set.prefix)), []int{set.n}, labels)
	}
	return dir
}
