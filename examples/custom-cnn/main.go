// Command custom-cnn is the program of docs/recipes/custom-model.md: a small
// CNN of your own, built from gozoo's layers, trained on MNIST with early
// stopping and checkpoints, saved with its model card, then loaded by a new
// process (which needs none of this code) to classify PNG images.
//
//	go run ./examples/custom-cnn train -out custom-run
//	go run ./examples/custom-cnn classify -model custom-run/model.safetensors digit.png
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/gozoo/gozoo/io/imagein"
	"github.com/gozoo/gozoo/io/loader"
	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/nn"
	"github.com/gozoo/gozoo/optim"
	"github.com/gozoo/gozoo/predict"
	"github.com/gozoo/gozoo/recipes"
	"github.com/gozoo/gozoo/zoo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "custom-cnn:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "train" {
		fs := flag.NewFlagSet("train", flag.ContinueOnError)
		epochs := fs.Int("epochs", 3, "epochs (early stopping may end sooner)")
		limit := fs.Int("train", 0, "train on the first N training images (0: all 60,000)")
		out := fs.String("out", "custom-run", "folder for the checkpoints and the model")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		_, err := train(ctx, *epochs, *limit, *out)
		return err
	}
	if len(args) > 0 && args[0] == "classify" {
		fs := flag.NewFlagSet("classify", flag.ContinueOnError)
		model := fs.String("model", "custom-run/model.safetensors", "model file")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		return classify(ctx, *model, fs.Args())
	}
	return errors.New("usage: custom-cnn train [-epochs 3] [-train N] [-out DIR] | classify -model FILE IMAGE.png...")
}

// train builds the network, trains it and saves it with its model card.
func train(ctx context.Context, epochs, limit int, out string) (*nn.Sequential, error) {
	// How the model is fed: 1x28x28 images, pixels/255, classes "0" to "9".
	card := modelcard.MNIST([]int{1, 28, 28})
	data, err := card.Data("") // MNIST from the Go module cache
	if err != nil {
		return nil, err
	}
	trainSet := data.Train
	if limit > 0 { // a quick run on the first images
		if trainSet, _, err = loader.Split(trainSet, min(limit, trainSet.Len()), nil); err != nil {
			return nil, err
		}
	}

	// The network: two convolution blocks and a linear classifier.
	b := nn.NewBuilder(card.Shape, rand.New(rand.NewPCG(1, 0)))
	b.Conv2D("conv1", 8, 3, 1).ReLU("relu1").MaxPool2D("pool1", 2)
	b.Conv2D("conv2", 16, 3, 1).BatchNorm("bn2").ReLU("relu2").MaxPool2D("pool2", 2)
	b.Flatten("flatten").Dropout("dropout", 0.25).Dense("logits", 10)
	model, err := b.Build()
	if err != nil {
		return nil, err
	}

	adam, err := optim.NewAdam(optim.AdamSettings{LearningRate: 0.001})
	if err != nil {
		return nil, err
	}
	trainer, err := recipes.NewTrainer(model, nn.SoftmaxCrossEntropy{}, adam, 1)
	if err != nil {
		return nil, err
	}
	defer trainer.Close()
	trainer.Card = card // checkpoints carry the card as well
	_, err = trainer.Fit(ctx, trainSet, recipes.FitOptions{
		Epochs: epochs, BatchSize: 64, Validation: data.Test,
		Callbacks: []recipes.Callback{
			&recipes.Progress{W: os.Stderr},
			&recipes.EarlyStopping{Monitor: recipes.ValLoss, Patience: 2, RestoreBest: true},
			&recipes.ModelCheckpoint{Dir: out, SaveBest: true, SaveLast: true}, // last.safetensors, best.safetensors
		},
	})
	if err != nil {
		return nil, err
	}
	path := filepath.Join(out, "model.safetensors")
	if err := zoo.Save(path, model, card); err != nil {
		return nil, err
	}
	fmt.Println("model written to", path)
	return model, nil
}

// classify loads the model, architecture and all, from its file alone and
// prints one JSON line per image.
func classify(ctx context.Context, modelPath string, images []string) error {
	p, err := predict.Load(modelPath)
	if err != nil {
		return err
	}
	defer p.Close()
	for _, path := range images {
		img, err := imagein.ReadFile(path)
		if err != nil {
			return err
		}
		c, err := p.Classify(ctx, img, predict.ClassifyOptions{TopK: 3})
		if err != nil {
			return err
		}
		line, err := json.Marshal(map[string]any{"file": path, "class": c.ClassName, "top": c.Top, "probabilities": c.Probabilities})
		if err != nil {
			return err
		}
		fmt.Println(string(line))
	}
	return nil
}
