package imagein

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // register JPEG with image.Decode
	_ "image/png"  // register PNG with image.Decode
	"io"
	"math"
	"os"
)

// MaxPixels bounds a decoded image (32 Mpixel, a large photo), so that a
// small file claiming a huge size cannot exhaust memory.
const MaxPixels = 1 << 25

// MaxBytes bounds the encoded image that Decode reads into memory.
const MaxBytes = 64 << 20

// ErrFormat is returned (wrapped) for data that is not a PNG or JPEG image.
var ErrFormat = errors.New("not a PNG or JPEG image")

// ReadFile decodes a PNG or JPEG file. Errors name the file; a directory,
// a device or any other special file is refused before it is read.
func ReadFile(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s is a directory, not an image file", path)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	img, err := decodeSeeker(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}

// Decode decodes a PNG or JPEG image of at most MaxBytes from r.
func Decode(r io.Reader) (image.Image, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxBytes {
		return nil, fmt.Errorf("image is larger than %d bytes", MaxBytes)
	}
	return decodeSeeker(bytes.NewReader(data))
}

// decodeSeeker checks the image's size from its header before decoding it.
func decodeSeeker(rs io.ReadSeeker) (image.Image, error) {
	cfg, _, err := image.DecodeConfig(bufio.NewReader(rs))
	if err != nil {
		return nil, decodeError(err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxPixels/max(cfg.Height, 1) {
		return nil, fmt.Errorf("image size %dx%d is out of range (at most %d pixels)", cfg.Width, cfg.Height, MaxPixels)
	}
	if _, err := rs.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	img, _, err := image.Decode(bufio.NewReader(rs))
	if err != nil {
		return nil, decodeError(err)
	}
	return img, nil
}

func decodeError(err error) error {
	if errors.Is(err, image.ErrFormat) {
		return ErrFormat
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("truncated image")
	}
	return fmt.Errorf("bad image: %v", err)
}

// Invert says whether to invert grey levels (v -> 1-v) before
// normalisation.
type Invert int

const (
	// InvertAuto inverts for a Layout with AutoInvert when the mean of the
	// resized image's outermost ring of pixels is above 0.5: a light
	// background, while MNIST has white digits on black.
	InvertAuto Invert = iota
	// InvertAlways always inverts.
	InvertAlways
	// InvertNever never inverts.
	InvertNever
)

// ParseInvert reads "auto", "yes" or "no".
func ParseInvert(s string) (Invert, error) {
	switch s {
	case "auto":
		return InvertAuto, nil
	case "yes":
		return InvertAlways, nil
	case "no":
		return InvertNever, nil
	}
	return 0, fmt.Errorf("invert must be auto, yes or no, got %q", s)
}

// Layout is how a model wants its image input: Channels planes (1: grey, 3:
// RGB) of Height x Width values, each pixel/255 normalised per channel as
// (v - Mean[c]) / Std[c].
type Layout struct {
	Channels, Height, Width int
	Mean, Std               []float32
	// AutoInvert lets InvertAuto invert light-background images (for
	// MNIST-style models).
	AutoInvert bool
}

// maxSide bounds a layout's height and width.
const maxSide = 1 << 14

// Validate checks the layout.
func (l Layout) Validate() error {
	if l.Channels != 1 && l.Channels != 3 {
		return fmt.Errorf("imagein: %d channels, want 1 or 3", l.Channels)
	}
	if l.Height <= 0 || l.Width <= 0 || l.Height > maxSide || l.Width > maxSide {
		return fmt.Errorf("imagein: size %dx%d is out of range", l.Height, l.Width)
	}
	if len(l.Mean) != l.Channels || len(l.Std) != l.Channels {
		return fmt.Errorf("imagein: %d channels need %d means and stds, got %v and %v", l.Channels, l.Channels, l.Mean, l.Std)
	}
	for c := range l.Std {
		if !(l.Std[c] > 0) || math.IsInf(float64(l.Std[c]), 0) || math.IsNaN(float64(l.Mean[c])) || math.IsInf(float64(l.Mean[c]), 0) {
			return fmt.Errorf("imagein: std %v must be positive and finite, mean %v finite", l.Std, l.Mean)
		}
	}
	return nil
}

// Size is the number of values in one input: Channels*Height*Width.
func (l Layout) Size() int { return l.Channels * l.Height * l.Width }

// Input converts img to the model's input, Channels*Height*Width values in
// row-major [C, H, W] order. The layout must be valid (Validate). Memory
// use is proportional to the image's height times the layout's width, not
// to the image's size.
func (l Layout) Input(img image.Image, inv Invert) []float32 {
	b := img.Bounds()
	rows := resizedRows(img, l.Channels, l.Width)
	resized := make([][]float64, l.Channels)
	for c := range resized {
		resized[c] = make([]float64, l.Height*l.Width)
		for x := range l.Width {
			resize1D(rows[c][x:], b.Dy(), l.Width, resized[c][x:], l.Height, l.Width)
		}
	}
	flip := inv == InvertAlways || (inv == InvertAuto && l.AutoInvert && borderMean(resized, l.Height, l.Width) > 0.5)
	out := make([]float32, 0, l.Size())
	for c, p := range resized {
		mean, std := float64(l.Mean[c]), float64(l.Std[c])
		for _, v := range p {
			if flip {
				v = 1 - v
			}
			out = append(out, float32((v-mean)/std))
		}
	}
	return out
}

// resizedRows reads img one row at a time into channels planes of values in
// [0, 1] and resizes each row to width: the result is [channels][rows*width].
func resizedRows(img image.Image, channels, width int) [][]float64 {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	line := make([][]float64, channels)
	rows := make([][]float64, channels)
	for c := range line {
		line[c] = make([]float64, w)
		rows[c] = make([]float64, h*width)
	}
	for y := range h {
		for x := range w {
			r, g, bl, a := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			// Premultiplied alpha: composite over white.
			bg := float64(0xffff - a)
			rf := (float64(r) + bg) / 0xffff
			gf := (float64(g) + bg) / 0xffff
			bf := (float64(bl) + bg) / 0xffff
			if channels == 1 {
				line[0][x] = 0.299*rf + 0.587*gf + 0.114*bf
			} else {
				line[0][x], line[1][x], line[2][x] = rf, gf, bf
			}
		}
		for c := range line {
			resize1D(line[c], w, 1, rows[c][y*width:], width, 1)
		}
	}
	return rows
}

// resize1D resamples n values of src, stride apart, into m values of dst,
// dstStride apart: area averaging when shrinking or keeping the size,
// bilinear interpolation (half-pixel centres) when enlarging.
func resize1D(src []float64, n, stride int, dst []float64, m, dstStride int) {
	at := func(i int) float64 { return src[i*stride] }
	scale := float64(n) / float64(m)
	if m > n {
		for j := range m {
			pos := (float64(j)+0.5)*scale - 0.5
			i0 := int(math.Floor(pos))
			frac := pos - float64(i0)
			i1 := i0 + 1
			i0 = min(max(i0, 0), n-1)
			i1 = min(max(i1, 0), n-1)
			dst[j*dstStride] = at(i0)*(1-frac) + at(i1)*frac
		}
		return
	}
	for j := range m {
		lo, hi := float64(j)*scale, float64(j+1)*scale
		sum := 0.0
		for i := int(lo); i < n && float64(i) < hi; i++ {
			overlap := math.Min(hi, float64(i+1)) - math.Max(lo, float64(i))
			if overlap > 0 {
				sum += at(i) * overlap
			}
		}
		dst[j*dstStride] = sum / scale
	}
}

// borderMean is the mean of the outermost ring of pixels over all planes.
func borderMean(planes [][]float64, h, w int) float64 {
	sum, count := 0.0, 0
	for _, p := range planes {
		for y := range h {
			for x := range w {
				if y == 0 || y == h-1 || x == 0 || x == w-1 {
					sum += p[y*w+x]
					count++
				}
			}
		}
	}
	return sum / float64(count)
}
