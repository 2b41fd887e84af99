package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/predict"
	"github.com/gozoo/gozoo/serve"
	"github.com/gozoo/gozoo/zoo"
	"github.com/gozoo/gozoo/zoo/cnn"
	"github.com/gozoo/gozoo/zoo/mlp"
)

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// The client, run against a server on a loopback port, prints the class
// and probability the library gives for the same pixels: for an MLP
// ([784] input) and a LeNet-5 ([1, 28, 28]), untrained.
func TestClientAgainstServer(t *testing.T) {
	mlpModel, err := mlp.New(mlp.Config{Inputs: 784, Hidden: []int{16}, Outputs: 10}, rand.New(rand.NewPCG(3, 0)))
	if err != nil {
		t.Fatal(err)
	}
	lenet, err := cnn.NewLeNet5(cnn.LeNet5Config{}, rand.New(rand.NewPCG(4, 0)))
	if err != nil {
		t.Fatal(err)
	}
	s, err := serve.New(serve.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	preds := map[string]*predict.Predictor{}
	for name, m := range map[string]zoo.Model{"mlp": mlpModel, "lenet": lenet} {
		shape := m.InputShape()
		served, err := predict.New(m, modelcard.MNIST(shape), predict.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Add(name, served); err != nil {
			t.Fatal(err)
		}
		if preds[name], err = predict.New(m, modelcard.MNIST(shape), predict.Options{}); err != nil {
			t.Fatal(err)
		}
		defer preds[name].Close()
	}
	ts := httptest.NewServer(s)
	defer ts.Close()

	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 1))
	var paths []string
	var inputs [][]float32
	for i := range 3 {
		img := image.NewGray(image.Rect(0, 0, 28, 28))
		x := make([]float32, 784)
		for k := range x {
			v := uint8(rng.IntN(256))
			img.SetGray(k%28, k/28, color.Gray{Y: v})
			x[k] = float32(v) / 255
		}
		paths = append(paths, filepath.Join(dir, fmt.Sprintf("%d.png", i)))
		writePNG(t, paths[i], img)
		inputs = append(inputs, x)
	}
	for _, name := range []string{"mlp", "lenet"} {
		var out bytes.Buffer
		if err := run(ts.URL, name, paths, &out); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) != len(paths) {
			t.Fatalf("%s: %d lines for %d images: %q", name, len(lines), len(paths), out.String())
		}
		for i, x := range inputs {
			c, err := preds[name].ClassifyInputs(context.Background(), x, 1)
			if err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprintf("%s: %s (p=%.3f)", paths[i], c[0].ClassName, c[0].Top[0].P)
			if lines[i] != want {
				t.Errorf("%s: the client prints %q, the library says %q", name, lines[i], want)
			}
		}
	}

	big := filepath.Join(dir, "big.png")
	writePNG(t, big, image.NewGray(image.Rect(0, 0, 56, 56)))
	for _, tc := range []struct {
		model, image, want string
	}{
		{"mlp", big, "classify route"},
		{"resnet", paths[0], `unknown model "resnet"`},
		{"mlp", filepath.Join(dir, "none.png"), "none.png"},
	} {
		if err := run(ts.URL, tc.model, []string{tc.image}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("model %s, image %s: error %v, want one with %q", tc.model, tc.image, err, tc.want)
		}
	}
}
