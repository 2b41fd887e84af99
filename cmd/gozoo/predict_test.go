package main

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/io/loader"
	"github.com/gozoo/gozoo/io/mnist"
	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/optim"
	"github.com/gozoo/gozoo/recipes"
	"github.com/gozoo/gozoo/zoo"
	"github.com/gozoo/gozoo/zoo/cnn"
	"github.com/gozoo/gozoo/zoo/mlp"
)

// near reports whether a and b differ by at most tol.
func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// trainDigitModel trains a small MLP on 5000 MNIST images for one epoch
// (about a second) and saves it with its input spec.
func trainDigitModel(t *testing.T) (string, *mnist.Dataset) {
	t.Helper()
	dir, err := mnist.DefaultDir()
	if err != nil {
		t.Fatal(err)
	}
	train, test, err := mnist.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	first := make([]int, 5000)
	for i := range first {
		first[i] = i
	}
	sub, err := loader.Subset(train, first)
	if err != nil {
		t.Fatal(err)
	}
	m, err := mlp.New(mlp.Config{Inputs: 784, Hidden: []int{32}, Outputs: 10}, rand.New(rand.NewPCG(1, 0)))
	if err != nil {
		t.Fatal(err)
	}
	opt, err := optim.New("adam", optim.Common{LearningRate: 0.003})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := recipes.NewTrainer(m, recipes.LossFor(nil), opt, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if _, err := tr.Fit(context.Background(), sub, recipes.FitOptions{Epochs: 2, BatchSize: 32}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "digits.safetensors")
	if err := zoo.Save(path, m, modelcard.MNIST([]int{784})); err != nil {
		t.Fatal(err)
	}
	return path, test
}

// digitImage draws a 28x28 MNIST image at twice the size, white on black,
// or black on white when inverted.
func digitImage(pixels []uint8, inverted bool) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, 56, 56))
	for y := range 56 {
		for x := range 56 {
			v := pixels[(y/2)*28+x/2]
			if inverted {
				v = 255 - v
			}
			img.SetGray(x, y, color.Gray{Y: v})
		}
	}
	return img
}

func writeImage(t *testing.T, path string, img image.Image) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(path, ".png") {
		err = png.Encode(f, img)
	} else {
		err = jpeg.Encode(f, img, &jpeg.Options{Quality: 90})
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
}

type predictJSON struct {
	File          string    `json:"file"`
	Class         int       `json:"class"`
	ClassName     string    `json:"class_name"`
	Probabilities []float64 `json:"probabilities"`
	Top3          []struct {
		Class int     `json:"class"`
		Name  string  `json:"name"`
		P     float64 `json:"p"`
	} `json:"top3"`
}

func TestPredictDigits(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on MNIST")
	}
	model, test := trainDigitModel(t)
	dir := t.TempDir()
	const n = 10
	var plain, jpegs, inverted []string
	var labels []int
	for i := range n {
		labels = append(labels, test.Label(i))
		for _, v := range []struct {
			list     *[]string
			name     string
			inverted bool
		}{{&plain, "digit%d.png", false}, {&jpegs, "digit%d.jpg", false}, {&inverted, "inverted%d.png", true}} {
			path := filepath.Join(dir, fmt.Sprintf(v.name, i))
			writeImage(t, path, digitImage(test.Image(i), v.inverted))
			*v.list = append(*v.list, path)
		}
	}
	predict := func(t *testing.T, images []string, extra ...string) []predictJSON {
		t.Helper()
		args := append([]string{"predict", "-model", model, "-json"}, extra...)
		stdout, stderr, code := runGozoo(t, append(args, images...)...)
		if code != 0 {
			t.Fatalf("predict: status %d: %s", code, stderr)
		}
		var out []predictJSON
		dec := json.NewDecoder(strings.NewReader(stdout))
		for dec.More() {
			var p predictJSON
			if err := dec.Decode(&p); err != nil {
				t.Fatal(err)
			}
			out = append(out, p)
		}
		if len(out) != len(images) {
			t.Fatalf("got %d results for %d images", len(out), len(images))
		}
		return out
	}
	correct := func(ps []predictJSON) int {
		c := 0
		for i, p := range ps {
			if p.Class == labels[i] {
				c++
			}
		}
		return c
	}

	pngs, jpg, inv := predict(t, plain), predict(t, jpegs), predict(t, inverted)
	if c := correct(pngs); c < 8 {
		t.Errorf("PNG: %d of %d correct", c, n)
	}
	if c := correct(jpg); c < 8 {
		t.Errorf("JPEG: %d of %d correct", c, n)
	}
	for i := range pngs {
		p := pngs[i]
		if p.File != plain[i] || p.ClassName != p.Top3[0].Name || p.Class != p.Top3[0].Class || len(p.Top3) != 3 || len(p.Probabilities) != 10 {
			t.Errorf("inconsistent result %+v", p)
		}
		sum := 0.0
		for _, v := range p.Probabilities {
			sum += v
		}
		if !near(sum, 1, 1e-6) || p.Top3[0].P < p.Top3[1].P || p.Top3[1].P < p.Top3[2].P {
			t.Errorf("probabilities %v, top3 %+v", p.Probabilities, p.Top3)
		}
		// Inversion commutes with the linear resize, so auto-invert restores
		// the plain image's input up to rounding.
		if inv[i].Class != p.Class || !near(inv[i].Top3[0].P, p.Top3[0].P, 1e-4) {
			t.Errorf("inverted image %d: class %d p=%v, plain: class %d p=%v", i, inv[i].Class, inv[i].Top3[0].P, p.Class, p.Top3[0].P)
		}
	}
	// Forcing the inversion on turns the white-on-black digits black on white.
	if forced := predict(t, plain[:1], "-invert", "yes"); forced[0].Top3[0].P == pngs[0].Top3[0].P {
		t.Errorf("-invert yes changed nothing")
	}

	stdout, stderr, code := runGozoo(t, "predict", "-model", model, plain[0], plain[1])
	if code != 0 {
		t.Fatalf("predict: %s", stderr)
	}
	line := regexp.MustCompile(`^\S+: \d \(p=[01]\.\d{3}\)  top3: \d [01]\.\d{3}, \d [01]\.\d{3}, \d [01]\.\d{3}$`)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2: %q", len(lines), stdout)
	}
	for i, l := range lines {
		if !line.MatchString(l) || !strings.HasPrefix(l, plain[i]+": ") {
			t.Errorf("line %q does not match %v", l, line)
		}
	}
}

// TestPredictRGB runs an (untrained) CIFAR-10 model on a colour JPEG of
// another size: the class is one of CIFAR-10's names.
func TestPredictRGB(t *testing.T) {
	m, err := cnn.NewVGG(cnn.VGGConfig{Channels: []int{4}, Hidden: 8}, rand.New(rand.NewPCG(1, 0)))
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}
	spec := &modelcard.Card{Dataset: "cifar10", Shape: []int{3, 32, 32}, ClassNames: names,
		Mean: []float32{0.49, 0.48, 0.45}, Std: []float32{0.25, 0.24, 0.26}}
	dir := t.TempDir()
	model := filepath.Join(dir, "vgg.safetensors")
	if err := zoo.Save(model, m, spec); err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, 20, 45))
	for y := range 45 {
		for x := range 20 {
			img.Set(x, y, color.RGBA{R: uint8(x * 12), G: uint8(y * 5), B: 200, A: 255})
		}
	}
	path := filepath.Join(dir, "colour.jpg")
	writeImage(t, path, img)
	stdout, stderr, code := runGozoo(t, "predict", "-json", "-model", model, path)
	if code != 0 {
		t.Fatalf("predict: status %d: %s", code, stderr)
	}
	var p predictJSON
	if err := json.Unmarshal([]byte(stdout), &p); err != nil {
		t.Fatal(err)
	}
	if p.ClassName != names[p.Class] || len(p.Probabilities) != 10 {
		t.Errorf("result %+v", p)
	}
}

func TestPredictErrors(t *testing.T) {
	dir := t.TempDir()
	digits, err := mlp.New(mlp.Config{Inputs: 784, Hidden: []int{4}, Outputs: 10}, rand.New(rand.NewPCG(1, 0)))
	if err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(dir, "digits.safetensors")
	if err := zoo.Save(model, digits, modelcard.MNIST([]int{784})); err != nil {
		t.Fatal(err)
	}
	table, err := mlp.New(mlp.Config{Inputs: 4, Hidden: []int{4}, Outputs: 3}, rand.New(rand.NewPCG(1, 0)))
	if err != nil {
		t.Fatal(err)
	}
	csvModel := filepath.Join(dir, "iris.safetensors")
	csvSpec, err := modelcard.Table(modelcard.TableSource{CSV: "iris", Split: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	if err := zoo.Save(csvModel, table, csvSpec); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good.png")
	writeImage(t, good, image.NewGray(image.Rect(0, 0, 28, 28)))
	notImage := filepath.Join(dir, "notes.png")
	os.WriteFile(notImage, []byte("these are not pixels\n"), 0o644)
	truncated := filepath.Join(dir, "truncated.png")
	data, _ := os.ReadFile(good)
	os.WriteFile(truncated, data[:len(data)/2], 0o644)
	truncatedJPEG := filepath.Join(dir, "truncated.jpg")
	writeImage(t, truncatedJPEG, digitImage(make([]uint8, 784), true))
	data, _ = os.ReadFile(truncatedJPEG)
	os.WriteFile(truncatedJPEG, data[:len(data)/2], 0o644)

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no model", []string{"predict", good}, "-model FILE is required"},
		{"no images", []string{"predict", "-model", model}, "no images given"},
		{"missing image", []string{"predict", "-model", model, good, "/nonexistent/seven.png"}, "/nonexistent/seven.png"},
		{"not an image", []string{"predict", "-model", model, notImage}, notImage + ": not a PNG or JPEG image"},
		{"a directory", []string{"predict", "-model", model, good, dir}, dir + " is a directory, not an image file"},
		{"a device", []string{"predict", "-model", model, "/dev/null"}, "/dev/null: not a regular file"},
		{"truncated png", []string{"predict", "-model", model, truncated}, truncated + ":"},
		{"truncated jpeg", []string{"predict", "-model", model, truncatedJPEG}, truncatedJPEG + ":"},
		{"csv model", []string{"predict", "-model", csvModel, good}, "csv model"},
		{"missing model", []string{"predict", "-model", "/nonexistent.safetensors", good}, "/nonexistent.safetensors"},
		{"bad invert", []string{"predict", "-model", model, "-invert", "maybe", good}, `-invert must be auto, yes or no, got "maybe"`},
		{"unknown flag", []string{"predict", "-model", model, "-top", "5", good}, "flag provided but not defined: -top"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkOneLineError(t, tc.args, tc.want) })
	}
}

// checkOneLineError runs gozoo and checks that it fails with status 1, one
// line on stderr containing want, and nothing on stdout.
func checkOneLineError(t *testing.T, args []string, want string) {
	t.Helper()
	stdout, stderr, code := runGozoo(t, args...)
	if code != 1 {
		t.Errorf("exit status %d, want 1 (stderr %q)", code, stderr)
	}
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.Contains(stderr, want) || !strings.HasPrefix(stderr, "gozoo "+args[0]+": ") {
		t.Errorf("stderr = %q, want one line containing %q", stderr, want)
	}
	if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine") {
		t.Errorf("stderr shows a panic: %q", stderr)
	}
	if stdout != "" {
		t.Errorf("stdout = %q, want nothing", stdout)
	}
}

func TestParseFlagsWithArgs(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		wantArgs  []string
		wantModel string
	}{
		{"flags first", []string{"-model", "m", "a", "b"}, []string{"a", "b"}, "m"},
		{"flags between", []string{"a", "-model", "m", "b"}, []string{"a", "b"}, "m"},
		{"flags last", []string{"a", "b", "-model", "m"}, []string{"a", "b"}, "m"},
		{"double dash ends flags", []string{"-model", "m", "--", "-a", "b"}, []string{"-a", "b"}, "m"},
		{"none", nil, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := newFlagSet("x", os.Stderr)
			model := fs.String("model", "", "")
			got, err := parseFlagsWithArgs(fs, tc.args, os.Stderr, "")
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "|") != strings.Join(tc.wantArgs, "|") || *model != tc.wantModel {
				t.Errorf("got %q and -model %q, want %q and %q", got, *model, tc.wantArgs, tc.wantModel)
			}
		})
	}
}
