package cifar10

import (
	"bytes"
	"math"
	"testing"
)

// FuzzRead feeds Read arbitrary records, with a declared size up to 128
// bytes off the data's length (a stream that is truncated, or that goes on
// after the records), and checks that no input makes it panic, that it
// refuses a stream shorter than declared, that what it accepts holds valid
// labels and writes back byte for byte, and that normalising with the fuzzed mean and
// std, when WithNormalization accepts them, gives finite inputs.
func FuzzRead(f *testing.F) {
	images, labels := synthetic(2)
	var good bytes.Buffer
	if err := Write(&good, images, labels); err != nil {
		f.Fatal(err)
	}
	badLabel := bytes.Clone(good.Bytes())
	badLabel[RecordBytes] = Classes
	f.Add(good.Bytes(), int8(0), float32(0.5), float32(0.25))
	f.Add(good.Bytes()[:RecordBytes], int8(0), float32(0), float32(1))
	f.Add(good.Bytes(), int8(-1), float32(0.5), float32(0.25))         // declared one byte short
	f.Add(good.Bytes(), int8(RecordBytes%128), float32(0), float32(1)) // declared longer than the data
	f.Add(badLabel, int8(0), float32(0), float32(1))
	f.Add([]byte{}, int8(0), float32(0), float32(1))
	f.Add(good.Bytes(), int8(0), float32(0), float32(1e-45)) // a std so small that 1/std overflows
	f.Add(good.Bytes(), int8(0), float32(3e38), float32(0.1))
	f.Fuzz(func(t *testing.T, data []byte, delta int8, mean, std float32) {
		size := len(data) + int(delta)
		ds, err := Read(bytes.NewReader(data), int64(size))
		if err != nil {
			return
		}
		// Read decodes the first size bytes of r; a stream shorter than
		// that is an error.
		if delta > 0 {
			t.Fatalf("accepted a stream of %d bytes declared as %d", len(data), size)
		}
		data = data[:size]
		if ds.Len()*RecordBytes != size {
			t.Fatalf("%d images from %d bytes", ds.Len(), size)
		}
		all := make([]uint8, 0, ds.Len()*ImageBytes)
		labels := make([]uint8, ds.Len())
		for i := range ds.Len() {
			if l := ds.Label(i); l < 0 || l >= Classes {
				t.Fatalf("image %d has label %d", i, l)
			}
			labels[i] = uint8(ds.Label(i))
			all = append(all, ds.Image(i)...)
		}
		var back bytes.Buffer
		if err := Write(&back, all, labels); err != nil || !bytes.Equal(back.Bytes(), data) {
			t.Fatalf("accepted records do not write back (%v)", err)
		}
		norm, err := ds.WithNormalization([Channels]float32{mean, mean, mean}, [Channels]float32{std, std, std})
		if err != nil {
			return
		}
		in := make([]float32, ImageBytes)
		norm.Input(0, in)
		for j, v := range in {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("mean %v std %v accepted, but input %d of image 0 is %v", mean, std, j, v)
			}
		}
	})
}
