package main

import (
	"fmt"

	"github.com/gozoo/gozoo/io/augment"
	"github.com/gozoo/gozoo/io/cifar10"
	"github.com/gozoo/gozoo/io/loader"
	"github.com/gozoo/gozoo/recipes"
)

// augmentTraining wraps CIFAR-10's training set in random crops (padding 4) and
// horizontal flips drawn from the trainer's seeded source, so augmented runs
// stay reproducible and resume exactly.
func augmentTraining(spec *inputSpec, d *data, tr *recipes.Trainer) error {
	if spec.Dataset != "cifar10" {
		return nil
	}
	aug, err := augment.Wrap(d.train.(loader.Classified), tr.Rand(), augment.RandomCrop{Padding: 4}, augment.HorizontalFlip{P: 0.5})
	if err != nil {
		return err
	}
	d.train = aug
	return nil
}

// cifarSpec fits the per-channel normalisation on the training set in dir.
func cifarSpec(dir string) (*inputSpec, error) {
	if dir == "" {
		return nil, fmt.Errorf("-model cifar-vgg needs -data DIR, the folder holding CIFAR-10's data_batch_*.bin and test_batch.bin")
	}
	train, _, err := cifar10.Load(dir)
	if err != nil {
		return nil, err
	}
	mean, std := train.ChannelStats()
	return &inputSpec{Dataset: "cifar10", Shape: []int{3, 32, 32}, ClassNames: cifar10.ClassNames(),
		Mean: mean[:], Std: std[:]}, nil
}

func loadCIFAR(spec *inputSpec, dir string) (*data, error) {
	if dir == "" {
		return nil, fmt.Errorf("cifar10 data needs -data DIR, the folder holding data_batch_*.bin and test_batch.bin")
	}
	if len(spec.Mean) != cifar10.Channels || len(spec.Std) != cifar10.Channels {
		return nil, fmt.Errorf("cifar10 input needs %d means and stds, got %v and %v", cifar10.Channels, spec.Mean, spec.Std)
	}
	train, test, err := cifar10.Load(dir)
	if err != nil {
		return nil, err
	}
	var mean, std [cifar10.Channels]float32
	copy(mean[:], spec.Mean)
	copy(std[:], spec.Std)
	if train, err = train.WithNormalization(mean, std); err != nil {
		return nil, err
	}
	if test, err = test.WithNormalization(mean, std); err != nil {
		return nil, err
	}
	return &data{train: train, test: test}, nil
}
