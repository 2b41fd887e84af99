// Command lenet-mnist trains LeNet-5 on MNIST: conv 6@5x5 (pad 2), ReLU,
// max-pool 2; conv 16@5x5, ReLU, max-pool 2; dense 400-120-84-10; Adam
// 0.001, batch 64.
//
//	go run ./examples/lenet-mnist [-epochs 10] [-seed 1] [-out DIR]
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/gozoo/gozoo/examples/internal/cli"
	"github.com/gozoo/gozoo/io/mnist"
	"github.com/gozoo/gozoo/nn"
	"github.com/gozoo/gozoo/optim"
	"github.com/gozoo/gozoo/recipes"
	"github.com/gozoo/gozoo/zoo"
	"github.com/gozoo/gozoo/zoo/cnn"
)

var out = flag.String("out", "", "folder to save the trained model in")

func main() { cli.Main("lenet-mnist", run) }

func run(ctx context.Context, epochs int, seed uint64) error {
	// Convolutions take images, not flat vectors: [channels, height, width].
	train, test, err := mnist.LoadShaped("", []int{1, 28, 28})
	if err != nil {
		return err
	}
	model, err := cnn.NewLeNet5(cnn.LeNet5Config{}, rand.New(rand.NewPCG(seed, 0)))
	if err != nil {
		return err
	}
	adam, err := optim.NewAdam(optim.AdamSettings{LearningRate: 0.001})
	if err != nil {
		return err
	}
	trainer, err := recipes.NewTrainer(model, nn.SoftmaxCrossEntropy{}, adam, seed)
	if err != nil {
		return err
	}
	defer trainer.Close()
	hist, err := trainer.Fit(ctx, train, recipes.FitOptions{Epochs: epochs, BatchSize: 64, Validation: test,
		Callbacks: []recipes.Callback{&recipes.Progress{W: os.Stderr}}})
	if err != nil {
		return err
	}
	last, _ := hist.Last()
	fmt.Printf("test accuracy %.4f over %d images\n", last.ValAccuracy, last.ValSamples)
	if *out != "" {
		if err := os.MkdirAll(*out, 0o755); err != nil {
			return err
		}
		return zoo.Save(filepath.Join(*out, "lenet5.safetensors"), model, nil)
	}
	return nil
}
