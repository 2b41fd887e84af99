// Package testmodel trains the small MNIST models the examples' tests feed
// to the compression recipes.
package testmodel

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/gozoo/gozoo/io/loader"
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
