// Command paddle-mlp is the seed document's PaddlePaddle snippet in Go: a
// 784-128-64-10 MLP trained on MNIST with softmax cross-entropy, Adam
// (lr 0.001), batch 64, 10 epochs.
//
//	go run ./examples/paddle-mlp [-epochs 10] [-seed 1]
//
// The Python it mirrors:
//
//	model = paddle.Model(MLP())   # fc 784->128 relu, 128->64 relu, 64->10
//	model.prepare(paddle.optimizer.Adam(learning_rate=0.001, parameters=model.parameters()),
//	              paddle.nn.CrossEntropyLoss(), paddle.metric.Accuracy())
//	model.fit(train_dataset, test_dataset, epochs=10, batch_size=64, verbose=1)
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"

	"github.com/gozoo/gozoo/io/mnist"
	"github.com/gozoo/gozoo/nn"
	"github.com/gozoo/gozoo/optim"
	"github.com/gozoo/gozoo/recipes"
	"github.com/gozoo/gozoo/zoo/mlp"
)

func main() {
	epochs := flag.Int("epochs", 10, "epochs")
	seed := flag.Uint64("seed", 1, "seed for weights and shuffling")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *epochs, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "paddle-mlp:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, epochs int, seed uint64) error {
	train, test, err := mnist.LoadShaped("", []int{784})
	if err != nil {
		return err
	}
	model, err := mlp.New(mlp.Paddle(), rand.New(rand.NewPCG(seed, 0)))
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
	_, err = trainer.Fit(ctx, train, recipes.FitOptions{
		Epochs: epochs, BatchSize: 64, Validation: test,
		Callbacks: []recipes.Callback{&recipes.Progress{W: os.Stderr}},
	})
	if err != nil {
		return err
	}
	result, err := trainer.Evaluate(ctx, test, 64)
	if err != nil {
		return err
	}
	fmt.Printf("test accuracy %.4f, loss %.4f over %d images\n", result.Accuracy, result.Loss, result.Samples)
	return nil
}
