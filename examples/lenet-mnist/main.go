// Command lenet-mnist trains the lenet5 preset on MNIST with its recipe from
// the library's preset table (zoo.Presets): conv 6@5x5 (pad 2), ReLU,
// max-pool 2; conv 16@5x5, ReLU, max-pool 2; dense 400-120-84-10; Adam
// 0.001 with a cosine decay, batch 64. It is gozoo train -model lenet5 in a
// dozen lines.
//
//	go run ./examples/lenet-mnist [-epochs 10] [-seed 1] [-out DIR]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/gozoo/gozoo/examples/internal/cli"
	"github.com/gozoo/gozoo/recipes/experiment"
)

var out = flag.String("out", "", "folder for the checkpoint, the history and the model file")

func main() { cli.Main("lenet-mnist", run) }

func run(ctx context.Context, epochs int, seed uint64) error {
	s, err := experiment.PresetSettings("lenet5")
	if err != nil {
		return err
	}
	s.Epochs, s.Seed, s.Out = epochs, seed, *out
	e, err := experiment.New(s)
	if err != nil {
		return err
	}
	defer e.Close()
	res, err := e.Fit(ctx, experiment.FitOptions{Progress: os.Stderr})
	if err != nil {
		return err
	}
	fmt.Println(res.Test)
	if res.ModelPath != "" {
		fmt.Fprintln(os.Stderr, "model written to", res.ModelPath)
	}
	return nil
}
