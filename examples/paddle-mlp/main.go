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
	"fmt"
	"math/rand/v2"
	"os"

	"github.com/gozoo/gozoo/examples/internal/cli"
	"github.com/gozoo/gozoo/io/mnist"
	"github.com/gozoo/gozoo/nn"
	"github.com/gozoo/gozoo/optim"
	"github.com/gozoo/gozoo/recipes"
	"github.com/gozoo/gozoo/zoo/mlp"
)

func main() { cli.Main("paddle-mlp", run) }

func run(ctx context.Context, epochs int, seed uint64) error {
	trainDataset, testDataset, err := mnist.LoadShaped("", []int{784})
	if err != nil {
		return err
	}
	network, err := mlp.New(mlp.Paddle(), rand.New(rand.NewPCG(seed, 0)))
	if err != nil {
		return err
	}
	adam, err := optim.NewAdam(optim.AdamSettings{LearningRate: 0.001})
	if err != nil {
		return err
	}
	model, err := recipes.NewTrainer(network, nn.SoftmaxCrossEntropy{}, adam, seed) // model.prepare
	if err != nil {
		return err
	}
	defer model.Close()
	history, err := model.Fit(ctx, trainDataset, recipes.FitOptions{ // model.fit(train, test, ...)
		Epochs: epochs, BatchSize: 64, Validation: testDataset,
		Callbacks: []recipes.Callback{&recipes.Progress{W: os.Stderr}}, // verbose=1
	})
	if err != nil {
		return err
	}
	last, _ := history.Last()
	fmt.Printf("test accuracy %.4f, loss %.4f over %d images\n", last.ValAccuracy, last.ValLoss, last.ValSamples)
	return nil
}
