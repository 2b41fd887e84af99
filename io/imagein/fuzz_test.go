package imagein

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to Decode and converts whatever decodes:
// no panic, and the input has the layout's size.
func FuzzDecode(f *testing.F) {
	img := image.NewNRGBA(image.Rect(0, 0, 5, 3))
	img.Set(1, 1, color.NRGBA{R: 200, A: 128})
	var p, j bytes.Buffer
	png.Encode(&p, img)
	jpeg.Encode(&j, img, nil)
	f.Add(p.Bytes())
	f.Add(j.Bytes())
	f.Add(p.Bytes()[:p.Len()/2])
	f.Add([]byte("not an image"))
	l := Layout{Channels: 3, Height: 4, Width: 4, Mean: []float32{0.5, 0.5, 0.5}, Std: []float32{0.2, 0.2, 0.2}, AutoInvert: true}
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		if b := img.Bounds(); b.Dx()*b.Dy() > MaxPixels {
			t.Fatalf("decoded %v, over the pixel limit", b)
		}
		if x := l.Input(img, InvertAuto); len(x) != l.Size() {
			t.Fatalf("input of %d values, want %d", len(x), l.Size())
		}
	})
}
