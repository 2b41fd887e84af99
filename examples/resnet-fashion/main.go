// Command resnet-fashion is the program of docs/recipes/resnet.md: a
// residual network defined from Go with nn's graph builder and
// resnet.BasicBlock, trained on Fashion-MNIST with SGD, crops and flips,
// saved with its model card, loaded back from the file alone and evaluated.
//
//	go run ./examples/resnet-fashion -epochs 3 -out resnet-run
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/gozoo/gozoo/io/augment"
	"github.com/gozoo/gozoo/io/loader"
	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/nn"
	"github.com/gozoo/gozoo/optim"
	"github.com/gozoo/gozoo/recipes"
	"github.com/gozoo/gozoo/zoo"
	"github.com/gozoo/gozoo/zoo/resnet"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	epochs := flag.Int("epochs", 3, "epochs")
	limit := flag.Int("train", 0, "train on the first N training images (0: all 60,000)")
	testLimit := flag.Int("test", 0, "evaluate on the first N test images (0: all 10,000)")
	out := flag.String("out", "resnet-run", "folder for the model file")
	flag.Parse()
	_, report, err := run(ctx, *epochs, *limit, *testLimit, *out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "resnet-fashion:", err)
		os.Exit(1)
	}
	fmt.Print(report)
}

// network is a small residual network: a 3x3 stem, three basic blocks
// (the second and third halve the image and project their shortcut with a
// 1x1 convolution), global average pooling and a linear classifier.
func network(rng *rand.Rand) (*nn.GraphModel, error) {
	b := nn.NewGraphBuilder(rng)
	b.Init = nn.HeNormal
	x := b.Input("image", 1, 28, 28)
	x = b.ReLU("relu", b.BatchNorm("bn1", b.Conv2D("conv1", x, 16, 3, 1, 1, false)))
	x = resnet.BasicBlock(b, "block1", x, 16, 1) // identity shortcut: x + f(x)
	x = resnet.BasicBlock(b, "block2", x, 32, 2) // 1x1 projection shortcut
	x = resnet.BasicBlock(b, "block3", x, 64, 2)
	b.Init = nn.GlorotUniform
	return b.Build(b.Dense("logits", b.GlobalAvgPool2D("pool", x), 10))
}

// run trains the network, saves it, loads the file back and returns the
// trained model and the loaded model's evaluation report.
func run(ctx context.Context, epochs, limit, testLimit int, out string) (*nn.GraphModel, *recipes.Report, error) {
	card := modelcard.FashionMNIST([]int{1, 28, 28}) // pixels/255, "T-shirt/top" ... "Ankle boot"
	data, err := card.Data("")                       // Debian's dataset-fashion-mnist, or gozoo download's copy
	if err != nil {
		return nil, nil, err
	}
	train, test := data.Train, data.Test
	if limit > 0 {
		if train, _, err = loader.Split(train, min(limit, train.Len()), nil); err != nil {
			return nil, nil, err
		}
	}
	if testLimit > 0 {
		if test, _, err = loader.Split(test, min(testLimit, test.Len()), nil); err != nil {
			return nil, nil, err
		}
	}
	model, err := network(rand.New(rand.NewPCG(1, 0)))
	if err != nil {
		return nil, nil, err
	}
	sgd, err := optim.NewMomentum(optim.MomentumSettings{LearningRate: 0.1, Momentum: 0.9, WeightDecay: 5e-4})
	if err != nil {
		return nil, nil, err
	}
	trainer, err := recipes.NewTrainer(model, nn.SoftmaxCrossEntropy{}, sgd, 1)
	if err != nil {
		return nil, nil, err
	}
	defer trainer.Close()
	trainer.Card = card
	// 4-pixel crops and horizontal flips, drawn from the trainer's seeded source.
	augmented, err := augment.Wrap(train.(loader.Classified), trainer.Rand(),
		augment.RandomCrop{Padding: 4}, augment.HorizontalFlip{P: 0.5})
	if err != nil {
		return nil, nil, err
	}
	const batch = 128
	steps := epochs * ((train.Len() + batch - 1) / batch)
	_, err = trainer.Fit(ctx, augmented, recipes.FitOptions{
		Epochs: epochs, BatchSize: batch, Validation: test,
		Callbacks: []recipes.Callback{
			&recipes.Progress{W: os.Stderr},
			&recipes.LRScheduler{Schedule: optim.CosineWarmup{Base: 0.1, Total: steps}, PerStep: true},
		},
	})
	if err != nil {
		return nil, nil, err
	}
	path := filepath.Join(out, "model.safetensors")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, nil, err
	}
	if err := zoo.Save(path, model, card); err != nil {
		return nil, nil, err
	}
	fmt.Fprintln(os.Stderr, "model written to", path)

	// The file alone rebuilds the network: no code of this program is needed.
	loaded, loadedCard, err := zoo.Load(path)
	if err != nil {
		return nil, nil, err
	}
	report, err := recipes.EvaluateReport(ctx, loaded, loadedCard, test, 256)
	return model, report, err
}
