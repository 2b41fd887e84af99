package mnist

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/gozoo/gozoo/io/idx"
)

// idxBytes encodes an IDX file, for seeds.
func idxBytes(f *testing.F, dims []int, data []uint8) []byte {
	var buf bytes.Buffer
	if err := idx.Write(&buf, dims, data); err != nil {
		f.Fatal(err)
	}
	return buf.Bytes()
}

// checkDataset fails t unless ds is consistent: labels are digits, images
// have height*width pixels, and normalising with mean and std, when
// WithNormalization accepts them, gives finite inputs.
func checkDataset(t *testing.T, ds *Dataset, mean, std float32) {
	t.Helper()
	h, w := ds.ImageSize()
	for i := range ds.Len() {
		if l := ds.Label(i); l < 0 || l >= Classes {
			t.Fatalf("sample %d has label %d", i, l)
		}
		if len(ds.Image(i)) != h*w {
			t.Fatalf("image %d has %d pixels, want %dx%d", i, len(ds.Image(i)), h, w)
		}
	}
	norm, err := ds.WithNormalization(mean, std)
	if err != nil || ds.Len() == 0 {
		return
	}
	in := make([]float32, h*w)
	norm.Input(0, in)
	for j, v := range in {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatalf("mean %v std %v accepted, but input %d of image 0 is %v", mean, std, j, v)
		}
	}
}

// FuzzNew checks that New refuses, without panicking, every inconsistent
// combination of pixels, labels and image size.
func FuzzNew(f *testing.F) {
	f.Add([]byte{0, 255, 51, 102}, []byte{3}, 2, 2, float32(0.5), float32(0.25))
	f.Add([]byte{0, 255, 51, 102}, []byte{10}, 2, 2, float32(0), float32(1))
	f.Add([]byte{}, []byte{}, 0, 0, float32(0), float32(1))
	f.Add([]byte{1}, []byte{1}, -1, -1, float32(0), float32(1))
	f.Add([]byte{1}, []byte{1}, math.MaxInt, 2, float32(0), float32(1)) // height*width overflows
	f.Add([]byte{1}, []byte{1}, 1<<32, 1<<32, float32(0), float32(1))
	f.Add([]byte{0, 255, 51, 102}, []byte{3}, 2, 2, float32(0), float32(1e-45)) // 1/std overflows
	f.Add([]byte{0, 255, 51, 102}, []byte{3}, 2, 2, float32(3e38), float32(0.1))
	f.Fuzz(func(t *testing.T, pixels, labels []byte, height, width int, mean, std float32) {
		ds, err := New(pixels, labels, height, width)
		if err != nil {
			return
		}
		if ds.Len() != len(labels) || len(labels)*height*width != len(pixels) {
			t.Fatalf("accepted %d pixels for %d labels of %dx%d", len(pixels), len(labels), height, width)
		}
		checkDataset(t, ds, mean, std)
	})
}

// FuzzLoadFiles writes an images file and a labels file from the fuzz
// input and loads them: LoadFiles must return an error or a consistent
// dataset, never panic.
func FuzzLoadFiles(f *testing.F) {
	good := idxBytes(f, []int{2, 2, 3}, pixelsFor(2, 6))
	labels := idxBytes(f, []int{2}, []uint8{7, 1})
	f.Add(good, labels, float32(0.1307), float32(0.3081))
	f.Add(good, idxBytes(f, []int{2}, []uint8{7, 10}), float32(0), float32(1))                                            // not a digit
	f.Add(good, idxBytes(f, []int{3}, []uint8{7, 1, 2}), float32(0), float32(1))                                          // one label too many
	f.Add(good, idxBytes(f, []int{2, 1}, []uint8{7, 1}), float32(0), float32(1))                                          // 2-D labels
	f.Add(idxBytes(f, []int{6}, pixelsFor(1, 6)), labels, float32(0), float32(1))                                         // 1-D images
	f.Add([]byte{0, 0, 8, 3, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 5}, []byte{0, 0, 8, 1, 0, 0, 0, 0}, float32(0), float32(1)) // no images
	f.Add(good, labels, float32(0), float32(1e-45))
	f.Fuzz(func(t *testing.T, images, labels []byte, mean, std float32) {
		dir := t.TempDir()
		ip, lp := filepath.Join(dir, "images"), filepath.Join(dir, "labels")
		if os.WriteFile(ip, images, 0o644) != nil || os.WriteFile(lp, labels, 0o644) != nil {
			t.Fatal("cannot write the input files")
		}
		ds, err := LoadFiles(ip, lp)
		if err != nil {
			return
		}
		checkDataset(t, ds, mean, std)
	})
}
