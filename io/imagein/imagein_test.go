package imagein

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestResize1D(t *testing.T) {
	tests := []struct {
		name string
		src  []float64
		m    int
		want []float64
	}{
		{"same size is the identity", []float64{1, 2, 3}, 3, []float64{1, 2, 3}},
		{"halving averages pairs", []float64{0, 2, 4, 8}, 2, []float64{1, 6}},
		// Output pixel 0 covers source [0, 1.5): (0*1 + 3*0.5) / 1.5.
		{"3 to 2 weighs by overlap", []float64{0, 3, 6}, 2, []float64{1, 5}},
		// Half-pixel centres: output j samples source (j+0.5)/2 - 0.5,
		// clamped at the edges.
		{"doubling interpolates", []float64{0, 1}, 4, []float64{0, 0.25, 0.75, 1}},
		{"one pixel to many", []float64{0.5}, 3, []float64{0.5, 0.5, 0.5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := make([]float64, tc.m)
			resize1D(tc.src, len(tc.src), 1, got, tc.m, 1)
			for i := range got {
				if !near(got[i], tc.want[i], 1e-12) {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func greyImage(w, h int, v func(x, y int) uint8) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetGray(x, y, color.Gray{Y: v(x, y)})
		}
	}
	return img
}

func TestInputShrinkKeepsBlockMeans(t *testing.T) {
	// Area averaging by a whole factor: each output is its block's mean.
	img := greyImage(4, 6, func(x, y int) uint8 { return uint8(10 * (y*4 + x)) })
	l := Layout{Channels: 1, Height: 3, Width: 2, Mean: []float32{0}, Std: []float32{1}}
	got := l.Input(img, InvertNever)
	for i, block := range [][4]int{{0, 1, 4, 5}, {2, 3, 6, 7}, {8, 9, 12, 13}, {10, 11, 14, 15}, {16, 17, 20, 21}, {18, 19, 22, 23}} {
		want := 0.0
		for _, p := range block {
			want += float64(10*p) / 255 / 4
		}
		if !near(float64(got[i]), want, 1e-6) {
			t.Fatalf("got %v, want block %d mean %v", got, i, want)
		}
	}
}

func TestInputPlanesAndAlpha(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 3, 1))
	img.Set(0, 0, color.NRGBA{R: 255, A: 255})
	img.Set(1, 0, color.NRGBA{A: 0}) // transparent: over white
	img.Set(2, 0, color.NRGBA{G: 255, A: 128})
	grey := Layout{Channels: 1, Height: 1, Width: 3, Mean: []float32{0}, Std: []float32{1}}.Input(img, InvertNever)
	// ITU-R 601 luma of pure red; white; half green over white.
	alpha := float64(128*257) / 0xffff
	half := 0.299*(1-alpha) + 0.587 + 0.114*(1-alpha)
	for i, want := range []float64{0.299, 1, half} {
		if !near(float64(grey[i]), want, 1e-3) {
			t.Errorf("grey[%d] = %v, want %v", i, grey[i], want)
		}
	}
	// RGB planes with normalisation (v - 0.5) / 0.25.
	rgb := Layout{Channels: 3, Height: 1, Width: 3, Mean: []float32{0.5, 0.5, 0.5}, Std: []float32{0.25, 0.25, 0.25}}.Input(img, InvertNever)
	for i, want := range []float64{2, 2, 2 - 4*alpha, -2, 2, 2, -2, 2, 2 - 4*alpha} {
		if !near(float64(rgb[i]), want, 1e-3) {
			t.Errorf("rgb[%d] = %v, want %v (all %v)", i, rgb[i], want, rgb)
		}
	}
}

func TestInputInvert(t *testing.T) {
	// A dark digit on a light background: auto inverts it when the layout
	// allows, never otherwise.
	img := greyImage(8, 8, func(x, y int) uint8 {
		if x > 2 && x < 5 {
			return 0
		}
		return 255
	})
	l := Layout{Channels: 1, Height: 4, Width: 4, Mean: []float32{0}, Std: []float32{1}, AutoInvert: true}
	auto, always, never := l.Input(img, InvertAuto), l.Input(img, InvertAlways), l.Input(img, InvertNever)
	if !near(float64(auto[0]), 0, 1e-6) || !near(float64(always[0]), 0, 1e-6) || never[0] != 1 {
		t.Errorf("corner: auto %v, always %v, never %v", auto[0], always[0], never[0])
	}
	l.AutoInvert = false
	if got := l.Input(img, InvertAuto); got[0] != 1 {
		t.Errorf("auto without AutoInvert inverted: %v", got[0])
	}
	for _, s := range []string{"auto", "yes", "no"} {
		if _, err := ParseInvert(s); err != nil {
			t.Error(err)
		}
	}
	if _, err := ParseInvert("maybe"); err == nil || !strings.Contains(err.Error(), `"maybe"`) {
		t.Errorf("ParseInvert(maybe) = %v", err)
	}
}

func TestValidate(t *testing.T) {
	ok := Layout{Channels: 1, Height: 28, Width: 28, Mean: []float32{0}, Std: []float32{1}}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, l := range map[string]Layout{
		"two channels":   {Channels: 2, Height: 2, Width: 2, Mean: []float32{0, 0}, Std: []float32{1, 1}},
		"zero height":    {Channels: 1, Height: 0, Width: 2, Mean: []float32{0}, Std: []float32{1}},
		"missing std":    {Channels: 1, Height: 2, Width: 2, Mean: []float32{0}},
		"zero std":       {Channels: 1, Height: 2, Width: 2, Mean: []float32{0}, Std: []float32{0}},
		"NaN mean":       {Channels: 1, Height: 2, Width: 2, Mean: []float32{float32(math.NaN())}, Std: []float32{1}},
		"huge":           {Channels: 1, Height: 1 << 20, Width: 2, Mean: []float32{0}, Std: []float32{1}},
		"three for grey": {Channels: 1, Height: 2, Width: 2, Mean: []float32{0, 0, 0}, Std: []float32{1, 1, 1}},
	} {
		if err := l.Validate(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	var good bytes.Buffer
	if err := png.Encode(&good, greyImage(3, 3, func(int, int) uint8 { return 7 })); err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(bytes.NewReader(good.Bytes())); err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(strings.NewReader("these are not pixels")); !errors.Is(err, ErrFormat) {
		t.Errorf("text: %v, want ErrFormat", err)
	}
	if _, err := Decode(bytes.NewReader(good.Bytes()[:good.Len()/2])); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("truncated: %v", err)
	}
	// A PNG header claiming 100000 x 100000 pixels.
	huge := append([]byte(nil), good.Bytes()...)
	copy(huge[16:24], []byte{0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0})
	binary.BigEndian.PutUint32(huge[29:33], crc32.ChecksumIEEE(huge[12:29]))
	if _, err := Decode(bytes.NewReader(huge)); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("huge: %v", err)
	}
	dir := t.TempDir()
	if _, err := ReadFile(dir); err == nil || err.Error() != dir+" is a directory, not an image file" {
		t.Errorf("directory: %v", err)
	}
	if _, err := os.Stat("/dev/null"); err == nil {
		if _, err := ReadFile("/dev/null"); err == nil || err.Error() != "/dev/null: not a regular file" {
			t.Errorf("device: %v", err)
		}
	}
	path := filepath.Join(dir, "notes.png")
	os.WriteFile(path, []byte("text"), 0o644)
	if _, err := ReadFile(path); err == nil || err.Error() != path+": not a PNG or JPEG image" {
		t.Errorf("text file: %v", err)
	}
}

// Converting a large image allocates about one resized row buffer per
// image row, not float64 planes of the whole image.
func TestInputMemoryFollowsTheLayout(t *testing.T) {
	img := greyImage(3000, 3000, func(x, y int) uint8 { return uint8(x ^ y) })
	l := Layout{Channels: 3, Height: 32, Width: 32, Mean: []float32{0, 0, 0}, Std: []float32{1, 1, 1}}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_ = l.Input(img, InvertNever)
	runtime.ReadMemStats(&after)
	// Full float64 planes would be 3 * 9M * 8 bytes = 216 MB.
	if got := after.TotalAlloc - before.TotalAlloc; got > 4<<20 {
		t.Errorf("Input allocated %d bytes for a 3000x3000 image to 3x32x32", got)
	}
}
