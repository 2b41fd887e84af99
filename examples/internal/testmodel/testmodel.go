// Package testmodel holds what the examples' tests share: small MNIST
// models for the compression recipes, and MNIST test digits as PNG files.
package testmodel

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/gozoo/gozoo/io/loader"
	"github.com/gozoo/gozoo/io/mnist"
	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/optim"
	"github.com/gozoo/gozoo/recipes"
	"github.com/gozoo/gozoo/zoo"
	"github.com/gozoo/gozoo/zoo/mlp"
)

// MLP trains a 784-hidden-10 MLP for one epoch on the first n MNIST
// training images and saves it with its card in dir; it returns the path.
func MLP(t testing.TB, dir string, hidden, n int) string {
	t.Helper()
	card := modelcard.MNIST([]int{784})
	data, err := card.Data("")
	if err != nil {
		t.Fatal(err)
	}
	train, _, err := loader.Split(data.Train, n, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := mlp.New(mlp.Config{Inputs: 784, Hidden: []int{hidden}, Outputs: 10}, rand.New(rand.NewPCG(1, 0)))
	if err != nil {
		t.Fatal(err)
	}
	opt, err := optim.NewAdam(optim.AdamSettings{LearningRate: 2e-3})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := recipes.NewTrainer(m, recipes.LossFor(card), opt, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if _, err := tr.Fit(context.Background(), train, recipes.FitOptions{Epochs: 1, BatchSize: 32}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "model.safetensors")
	if err := zoo.Save(path, m, card); err != nil {
		t.Fatal(err)
	}
	return path
}

// Digits writes the first n MNIST test digits as PNG files in dir, each
// drawn scale times its size and, if inverted, dark on light; it returns
// the paths and the digits' labels.
func Digits(t testing.TB, dir string, n, scale int, inverted bool) ([]string, []int) {
	t.Helper()
	mnistDir, err := mnist.DefaultDir()
	if err != nil {
		t.Fatal(err)
	}
	_, test, err := mnist.Load(mnistDir)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	var labels []int
	side := 28 * scale
	for i := range n {
		img := image.NewGray(image.Rect(0, 0, side, side))
		for y := range side {
			for x := range side {
				v := test.Image(i)[(y/scale)*28+x/scale]
				if inverted {
					v = 255 - v
				}
				img.SetGray(x, y, color.Gray{Y: v})
			}
		}
		path := filepath.Join(dir, fmt.Sprintf("digit%d.png", i))
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		err = png.Encode(f, img)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
		labels = append(labels, test.Label(i))
	}
	return paths, labels
}
