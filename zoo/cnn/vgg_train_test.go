package cnn_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"

	"github.com/gozoo/gozoo/io/augment"
	"github.com/gozoo/gozoo/io/cifar10"
	"github.com/gozoo/gozoo/nn"
	"github.com/gozoo/gozoo/optim"
	"github.com/gozoo/gozoo/recipes"
	"github.com/gozoo/gozoo/zoo/cnn"
)

// syntheticCIFAR writes n CIFAR-format records whose class decides the
// colour of a square, on noise, and reads them back through the reader.
func syntheticCIFAR(t *testing.T, n int, seed uint64) *cifar10.Dataset {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 0))
	images := make([]uint8, n*cifar10.ImageBytes)
	labels := make([]uint8, n)
	for i := range labels {
		c := rng.IntN(10)
		labels[i] = uint8(c)
		img := images[i*cifar10.ImageBytes : (i+1)*cifar10.ImageBytes]
		for j := range img {
			img[j] = uint8(rng.IntN(64))
		}
		// Class c lights channel c%3 at a brightness and place set by c.
		ch, top := c%3, 4+2*(c/3)
		for y := top; y < top+12; y++ {
			for x := 8; x < 24; x++ {
				img[ch*1024+y*32+x] = uint8(120 + 40*(c/3))
			}
		}
	}
	var buf bytes.Buffer
	if err := cifar10.Write(&buf, images, labels); err != nil {
		t.Fatal(err)
	}
	ds, err := cifar10.Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestVGGTrainsOneEpochOnSyntheticCIFAR(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a CNN for an epoch")
	}
	train := syntheticCIFAR(t, 1000, 1)
	test := syntheticCIFAR(t, 200, 2)
	model, err := cnn.NewVGG(cnn.VGGConfig{}, rand.New(rand.NewPCG(1, 0)))
	if err != nil {
		t.Fatal(err)
	}
	opt, _ := optim.New("adam", optim.Common{LearningRate: 0.003})
	tr, err := recipes.NewTrainer(model, nn.SoftmaxCrossEntropy{}, opt, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	aug, err := augment.Wrap(train, tr.Rand(), augment.RandomCrop{Padding: 4}, augment.HorizontalFlip{P: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	before, err := tr.Evaluate(context.Background(), test, 100)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Fit(context.Background(), aug, recipes.FitOptions{Epochs: 1, BatchSize: 32}); err != nil {
		t.Fatal(err)
	}
	after, err := tr.Evaluate(context.Background(), test, 100)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("test loss %.3f -> %.3f, accuracy %.3f -> %.3f", before.Loss, after.Loss, before.Accuracy, after.Accuracy)
	if !(after.Loss < 0.8*before.Loss) {
		t.Errorf("test loss %.3f -> %.3f after one epoch, want a clear fall", before.Loss, after.Loss)
	}
}
