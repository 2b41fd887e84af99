// Command mindspore-mlp is the seed document's MindSpore snippet in Go: a
// 784-1024-64-10 MLP trained on MNIST with softmax cross-entropy, Adam
// (lr 0.001), batch 64, 10 epochs. (The seed declares its first Dense with
// 128 inputs but feeds it MNIST's 784 pixels; this takes 784.)
//
//	go run ./examples/mindspore-mlp [-epochs 10] [-seed 1]
//
// The Python it mirrors:
//
//	net = MLP()   # Dense 784->1024 relu, 1024->64 relu, 64->10
//	loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction='mean')
//	opt = nn.Adam(net.trainable_params(), learning_rate=0.001)
//	model = Model(net, loss, opt, metrics={'accuracy'})
//	model.train(10, train_ds, callbacks=[LossMonitor(100)])
//	print(model.eval(test_ds))
package main

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/gozoo/gozoo/examples/internal/cli"
	"github.com/gozoo/gozoo/io/mnist"
	"github.com/gozoo/gozoo/nn"
	"github.com/gozoo/gozoo/optim"
	"github.com/gozoo/gozoo/recipes"
	"github.com/gozoo/gozoo/zoo/mlp"
)

func main() { cli.Main("mindspore-mlp", run) }

// lossMonitor prints the loss every `every` steps, like MindSpore's LossMonitor.
type lossMonitor struct {
	recipes.BaseCallback
	every int64
}

func (m lossMonitor) OnBatchEnd(_ *recipes.Run, s recipes.BatchStats) error {
	if s.Step%m.every == 0 {
		fmt.Printf("epoch: %d step: %d, loss is %.4f\n", s.Epoch, s.Batch, s.Loss)
	}
	return nil
}

func run(ctx context.Context, epochs int, seed uint64) error {
	trainDS, testDS, err := mnist.LoadShaped("", []int{784})
	if err != nil {
		return err
	}
	net, err := mlp.New(mlp.MindSpore(), rand.New(rand.NewPCG(seed, 0)))
	if err != nil {
		return err
	}
	opt, err := optim.New("adam", optim.Common{LearningRate: 0.001})
	if err != nil {
		return err
	}
	model, err := recipes.NewTrainer(net, nn.SoftmaxCrossEntropy{}, opt, seed)
	if err != nil {
		return err
	}
	defer model.Close()
	train := recipes.FitOptions{Epochs: epochs, BatchSize: 64, Callbacks: []recipes.Callback{lossMonitor{every: 100}}}
	if _, err := model.Fit(ctx, trainDS, train); err != nil {
		return err
	}
	result, err := model.Evaluate(ctx, testDS, 64)
	if err != nil {
		return err
	}
	fmt.Printf("{'accuracy': %.4f}\n", result.Accuracy)
	return nil
}
