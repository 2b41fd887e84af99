package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	_ "image/jpeg" // register JPEG with image.Decode
	_ "image/png"  // register PNG with image.Decode
	"io"
	"math"
	"os"
	"sort"

	"github.com/gozoo/gozoo/metrics"
	"github.com/gozoo/gozoo/nn"
	"github.com/gozoo/gozoo/zoo"
)

// maxImagePixels bounds a decoded image (32 Mpixel, a large photo), so that
// a small file claiming a huge size cannot exhaust memory.
const maxImagePixels = 1 << 25

func runPredict(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("predict", stderr)
	modelPath := fs.String("model", "", "model file written by gozoo train (an MNIST or CIFAR-10 model)")
	asJSON := fs.Bool("json", false, "print one JSON object per image")
	invert := fs.String("invert", "auto", "invert the grey levels: yes, no, or auto (MNIST models only: invert when the mean of the resized image's border pixels is above 0.5, i.e. dark ink on a light background; CIFAR-10 models are never inverted by auto)")
	images, err := parseFlagsWithArgs(fs, args, stderr, "-model FILE [-json] [-invert auto|yes|no] IMAGE...")
	if err != nil {
		return err
	}
	if *modelPath == "" {
		return fmt.Errorf("-model FILE is required")
	}
	switch *invert {
	case "auto", "yes", "no":
	default:
		return fmt.Errorf("-invert must be auto, yes or no, got %q", *invert)
	}
	if len(images) == 0 {
		return fmt.Errorf("no images given (usage: gozoo predict -model FILE IMAGE...)")
	}
	m, spec, err := loadModel(*modelPath)
	if err != nil {
		return err
	}
	layout, err := imageLayoutOf(spec, m)
	if err != nil {
		return fmt.Errorf("%s: %w", *modelPath, err)
	}
	// Read every image before printing anything, so a bad file fails the
	// command without a partial result.
	inputs := make([][]float32, len(images))
	for i, path := range images {
		img, err := readImage(path)
		if err != nil {
			return err
		}
		inputs[i] = layout.input(img, *invert)
	}
	preds, err := predictImages(ctx, m, inputs)
	if err != nil {
		return err
	}
	names := classNames(spec, m.OutputShape()[0])
	w := bufio.NewWriter(stdout)
	enc := json.NewEncoder(w)
	for i, probs := range preds {
		r := newPrediction(images[i], probs, names)
		if *asJSON {
			if err := enc.Encode(r); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintln(w, r.text())
	}
	return w.Flush()
}

// parseFlagsWithArgs parses flags that may come before, between or after
// positional arguments ("--" ends the flags) and returns the positional
// arguments. usage describes the command line for -h.
func parseFlagsWithArgs(fs *flagSet, args []string, stderr io.Writer, usage string) ([]string, error) {
	var positional []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			fmt.Fprintf(stderr, "usage: gozoo %s %s\n", fs.Name(), usage)
			fs.PrintDefaults()
			return nil, err
		}
		if err != nil {
			return nil, fmt.Errorf("%v (run gozoo %s -h)", err, fs.Name())
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if consumed := args[:len(args)-len(rest)]; len(consumed) > 0 && consumed[len(consumed)-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// imageLayout is how a model wants its image input.
type imageLayout struct {
	channels, height, width int
	mean, std               []float32
	// autoInvert inverts light-background images (MNIST's digits are white
	// on black).
	autoInvert bool
}

// imageLayoutOf reads the input layout from a model's spec: [C H W], or a
// flat [N] of one channel whose side is sqrt(N) (an MNIST MLP's 784).
func imageLayoutOf(spec *inputSpec, m zoo.Model) (*imageLayout, error) {
	switch spec.Dataset {
	case "mnist", "cifar10":
	case "csv":
		return nil, fmt.Errorf("predict takes image models; this is a csv model (use gozoo eval)")
	default:
		return nil, fmt.Errorf("predict takes image models; unknown dataset %q", spec.Dataset)
	}
	if len(spec.ClassNames) == 0 {
		return nil, fmt.Errorf("model has no class names: not a classifier")
	}
	l := &imageLayout{mean: spec.Mean, std: spec.Std, autoInvert: spec.Dataset == "mnist"}
	switch len(spec.Shape) {
	case 1:
		side := int(math.Round(math.Sqrt(float64(spec.Shape[0]))))
		if side <= 0 || side*side != spec.Shape[0] {
			return nil, fmt.Errorf("input shape %v is not a square image", spec.Shape)
		}
		l.channels, l.height, l.width = 1, side, side
	case 3:
		l.channels, l.height, l.width = spec.Shape[0], spec.Shape[1], spec.Shape[2]
	default:
		return nil, fmt.Errorf("input shape %v is not an image shape", spec.Shape)
	}
	if l.channels != 1 && l.channels != 3 {
		return nil, fmt.Errorf("input shape %v has %d channels, want 1 or 3", spec.Shape, l.channels)
	}
	if l.height <= 0 || l.width <= 0 {
		return nil, fmt.Errorf("input shape %v has a non-positive size", spec.Shape)
	}
	if len(l.mean) != l.channels || len(l.std) != l.channels {
		return nil, fmt.Errorf("input needs %d means and stds, got %v and %v", l.channels, l.mean, l.std)
	}
	for _, s := range l.std {
		if !(s > 0) {
			return nil, fmt.Errorf("input std %v must be positive", l.std)
		}
	}
	if fmt.Sprint(m.InputShape()) != fmt.Sprint(spec.Shape) {
		return nil, fmt.Errorf("model takes input %v, its metadata says %v", m.InputShape(), spec.Shape)
	}
	return l, nil
}

// readImage decodes a PNG or JPEG file.
func readImage(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cfg, _, err := image.DecodeConfig(f)
	if err != nil {
		return nil, imageError(path, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxImagePixels/max(cfg.Height, 1) {
		return nil, fmt.Errorf("%s: image size %dx%d is out of range", path, cfg.Width, cfg.Height)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	img, _, err := image.Decode(bufio.NewReader(f))
	if err != nil {
		return nil, imageError(path, err)
	}
	return img, nil
}

func imageError(path string, err error) error {
	if errors.Is(err, image.ErrFormat) {
		return fmt.Errorf("%s: not a PNG or JPEG image", path)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: truncated image", path)
	}
	return fmt.Errorf("%s: bad image: %v", path, err)
}

// input converts img to the model's input: grey (ITU-R 601 luma) or RGB
// planes in [0, 1], transparent pixels over white, resized to height x
// width (area averaging to shrink, bilinear to enlarge), inverted (v -> 1-v)
// as invert says, then normalised per channel. invert "auto" inverts for
// MNIST models when the mean of the resized image's outermost ring of
// pixels is above 0.5: a light background, while MNIST has white digits on
// black.
func (l *imageLayout) input(img image.Image, invert string) []float32 {
	planes := imagePlanes(img, l.channels)
	b := img.Bounds()
	out := make([]float32, 0, l.channels*l.height*l.width)
	resized := make([][]float64, len(planes))
	for c, p := range planes {
		resized[c] = resize(p, b.Dy(), b.Dx(), l.height, l.width)
	}
	flip := invert == "yes" || (invert == "auto" && l.autoInvert && borderMean(resized, l.height, l.width) > 0.5)
	for c, p := range resized {
		mean, std := float64(l.mean[c]), float64(l.std[c])
		for _, v := range p {
			if flip {
				v = 1 - v
			}
			out = append(out, float32((v-mean)/std))
		}
	}
	return out
}

// imagePlanes returns channels planes of values in [0, 1], row-major.
func imagePlanes(img image.Image, channels int) [][]float64 {
	b := img.Bounds()
	n := b.Dx() * b.Dy()
	planes := make([][]float64, channels)
	for c := range planes {
		planes[c] = make([]float64, n)
	}
	i := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			// Premultiplied alpha: composite over white.
			bg := float64(0xffff - a)
			rf := (float64(r) + bg) / 0xffff
			gf := (float64(g) + bg) / 0xffff
			bf := (float64(bl) + bg) / 0xffff
			if channels == 1 {
				planes[0][i] = 0.299*rf + 0.587*gf + 0.114*bf
			} else {
				planes[0][i], planes[1][i], planes[2][i] = rf, gf, bf
			}
			i++
		}
	}
	return planes
}

// resize scales an sh x sw plane to dh x dw, one axis at a time.
func resize(src []float64, sh, sw, dh, dw int) []float64 {
	rows := make([]float64, sh*dw)
	for y := range sh {
		resize1D(src[y*sw:], sw, 1, rows[y*dw:], dw, 1)
	}
	out := make([]float64, dh*dw)
	for x := range dw {
		resize1D(rows[x:], sh, dw, out[x:], dh, dw)
	}
	return out
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

// predictImages runs the model on each input and returns class
// probabilities.
func predictImages(ctx context.Context, m zoo.Model, inputs [][]float32) ([][]float64, error) {
	prog, err := nn.Compile(m, nn.Evaluation, 1, nil)
	if err != nil {
		return nil, err
	}
	defer prog.Close()
	out := make([][]float64, len(inputs))
	for i, in := range inputs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		copy(prog.Input(), in)
		if err := prog.Run(nil); err != nil {
			return nil, err
		}
		logits := make([]float64, prog.OutputSize())
		for j, v := range prog.Outputs() {
			logits[j] = float64(v)
		}
		out[i] = metrics.Softmax(logits, len(logits), nil)
	}
	return out, nil
}

// classNames returns the spec's class names, or the class numbers when
// they do not match the model's outputs.
func classNames(spec *inputSpec, classes int) []string {
	if len(spec.ClassNames) == classes {
		return spec.ClassNames
	}
	names := make([]string, classes)
	for i := range names {
		names[i] = fmt.Sprint(i)
	}
	return names
}

// prediction is gozoo predict's result for one image.
type prediction struct {
	File          string       `json:"file"`
	Class         int          `json:"class"`
	ClassName     string       `json:"class_name"`
	Probabilities []float64    `json:"probabilities"`
	Top3          []classScore `json:"top3"`
}

type classScore struct {
	Class int     `json:"class"`
	Name  string  `json:"name"`
	P     float64 `json:"p"`
}

func newPrediction(file string, probs []float64, names []string) *prediction {
	order := make([]int, len(probs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return probs[order[a]] > probs[order[b]] })
	r := &prediction{File: file, Class: order[0], ClassName: names[order[0]], Probabilities: probs}
	for _, c := range order[:min(3, len(order))] {
		r.Top3 = append(r.Top3, classScore{Class: c, Name: names[c], P: probs[c]})
	}
	return r
}

func (r *prediction) text() string {
	s := fmt.Sprintf("%s: %s (p=%.3f)  top%d:", r.File, r.ClassName, r.Top3[0].P, len(r.Top3))
	for i, c := range r.Top3 {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprintf(" %s %.3f", c.Name, c.P)
	}
	return s
}
