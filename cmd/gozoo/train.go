package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"

	"github.com/gozoo/gozoo/io/mnist"
	"github.com/gozoo/gozoo/nn"
	"github.com/gozoo/gozoo/optim"
	"github.com/gozoo/gozoo/recipes"
	"github.com/gozoo/gozoo/zoo/mlp"
)

type trainFlags struct {
	model, optimizer, data, out string
	epochs, batch               int
	lr                          float64
	seed                        uint64
	json, quiet                 bool
}

func runTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f trainFlags
	fs := newFlagSet("train", stderr)
	fs.StringVar(&f.model, "model", "mlp", "architecture: mlp (= mlp-paddle, 784-128-64-10), mlp-mindspore (784-1024-64-10)")
	fs.IntVar(&f.epochs, "epochs", 10, "number of epochs")
	fs.IntVar(&f.batch, "batch", 64, "mini-batch size")
	fs.Float64Var(&f.lr, "lr", 0.001, "learning rate")
	fs.StringVar(&f.optimizer, "optimizer", "adam", "optimizer: adam, adamw, sgd, momentum, nesterov, rmsprop, adagrad")
	fs.Uint64Var(&f.seed, "seed", 1, "seed for initial weights, shuffling and dropout")
	fs.StringVar(&f.data, "data", "", "folder holding the MNIST *-ubyte(.gz) files (default: the copy in the Go module cache)")
	fs.StringVar(&f.out, "out", "", "folder to write the trained model to")
	fs.BoolVar(&f.json, "json", false, "print one JSON object per epoch on stdout")
	fs.BoolVar(&f.quiet, "quiet", false, "print no progress on stderr")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if f.epochs <= 0 || f.epochs > 100000 {
		return fmt.Errorf("-epochs must be between 1 and 100000, got %d", f.epochs)
	}
	if f.batch <= 0 || f.batch > 60000 {
		return fmt.Errorf("-batch must be between 1 and 60000, got %d", f.batch)
	}
	if !(f.lr > 0) || math.IsInf(f.lr, 0) {
		return fmt.Errorf("-lr must be a positive number, got %v", f.lr)
	}
	cfg, err := mlpPreset(f.model)
	if err != nil {
		return err
	}
	opt, err := optim.New(f.optimizer, f.lr)
	if err != nil {
		return err
	}
	train, test, err := loadMNIST(f.data)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(f.seed, 0))
	model, err := mlp.New(cfg, rng)
	if err != nil {
		return err
	}
	trainer, err := recipes.NewTrainer(model, nn.SoftmaxCrossEntropy{}, opt, f.seed)
	if err != nil {
		return err
	}
	defer trainer.Close()
	opts := recipes.FitOptions{Epochs: f.epochs, BatchSize: f.batch, Validation: test}
	if !f.quiet {
		opts.Callbacks = append(opts.Callbacks, &recipes.Progress{W: stderr, Terminal: isTerminal(stderr)})
	}
	if f.json {
		opts.Callbacks = append(opts.Callbacks, &jsonLines{enc: json.NewEncoder(stdout)})
	}
	hist, err := trainer.Fit(ctx, train, opts)
	if err != nil {
		return err
	}
	if last, ok := hist.Last(); ok && !f.json {
		fmt.Fprintf(stdout, "test accuracy %.4f over %d images, test loss %.4f\n", last.ValAccuracy, last.ValSamples, last.ValLoss)
	}
	return nil
}

func mlpPreset(name string) (mlp.Config, error) {
	switch name {
	case "mlp", "mlp-paddle":
		return mlp.Paddle(), nil
	case "mlp-mindspore":
		return mlp.MindSpore(), nil
	}
	return mlp.Config{}, fmt.Errorf("unknown model %q (want mlp, mlp-paddle or mlp-mindspore)", name)
}

func loadMNIST(dir string) (train, test *mnist.Dataset, err error) {
	if dir == "" {
		if dir, err = mnist.DefaultDir(); err != nil {
			return nil, nil, err
		}
	}
	return mnist.Load(dir)
}

// jsonLines prints one JSON object per epoch.
type jsonLines struct {
	recipes.BaseCallback
	enc *json.Encoder
}

type epochJSON struct {
	Epoch         int     `json:"epoch"`
	TrainLoss     float64 `json:"train_loss"`
	TrainAccuracy float64 `json:"train_accuracy"`
	TestLoss      float64 `json:"test_loss"`
	TestAccuracy  float64 `json:"test_accuracy"`
	TestSamples   int     `json:"test_samples"`
	LearningRate  float64 `json:"learning_rate"`
	Seconds       float64 `json:"seconds"`
	SamplesPerSec float64 `json:"samples_per_sec"`
}

func (j *jsonLines) OnEpochEnd(_ *recipes.Run, s *recipes.EpochStats) error {
	return j.enc.Encode(epochJSON{
		Epoch: s.Epoch, TrainLoss: s.TrainLoss, TrainAccuracy: s.TrainAccuracy,
		TestLoss: s.ValLoss, TestAccuracy: s.ValAccuracy, TestSamples: s.ValSamples,
		LearningRate: s.LearningRate, Seconds: s.Seconds, SamplesPerSec: s.SamplesPerSec,
	})
}

// isTerminal reports whether w is a character device such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
