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
//	model.train(10, train_ds, callbacks=[LossMonitor()])
//	print(model.eval(test_ds))
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
		fmt.Fprintln(os.Stderr, "mindspore-mlp:", err)
		os.Exit(1)
	}
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
	opt, err := optim.NewAdam(optim.AdamSettings{LearningRate: 0.001})
	if err != nil {
		return err
	}
	model, err := recipes.NewTrainer(net, nn.SoftmaxCrossEntropy{}, opt, seed)
	if err != nil {
		return err
	}
	defer model.Close()
	lossMonitor := &recipes.Progress{W: os.Stderr}
	if _, err := model.Fit(ctx, trainDS, recipes.FitOptions{Epochs: epochs, BatchSize: 64,
		Callbacks: []recipes.Callback{lossMonitor}}); err != nil {
		return err
	}
	result, err := model.Evaluate(ctx, testDS, 64)
	if err != nil {
		return err
	}
	fmt.Printf("{'accuracy': %.4f}\n", result.Accuracy)
	return nil
}
