package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/gozoo/gozoo/io/loader"
	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/recipes"
)

// The recipe's program trains its residual network on a small subset of
// Fashion-MNIST (16 steps), saves it, and the model rebuilt from the file
// alone evaluates exactly as the trained one in memory, and better than
// chance.
func TestTrainSaveLoadEvaluate(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on Fashion-MNIST")
	}
	card := modelcard.FashionMNIST([]int{1, 28, 28})
	data, err := card.Data("")
	if err != nil {
		t.Skipf("no Fashion-MNIST here (apt-get install dataset-fashion-mnist): %v", err)
	}
	out := filepath.Join(t.TempDir(), "run")
	model, report, err := run(context.Background(), 2, 1024, 500, out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, "model.safetensors")); err != nil {
		t.Fatal(err)
	}
	test, _, err := loader.Split(data.Test, 500, nil)
	if err != nil {
		t.Fatal(err)
	}
	inMemory, err := recipes.EvaluateReport(context.Background(), model, card, test, 256)
	if err != nil {
		t.Fatal(err)
	}
	if report.Accuracy == nil || inMemory.Accuracy == nil {
		t.Fatal("a classification report without accuracy")
	}
	if report.Samples != 500 || *report.Accuracy != *inMemory.Accuracy || report.Loss != inMemory.Loss {
		t.Errorf("the loaded model: %d samples, accuracy %v, loss %v; the trained one: accuracy %v, loss %v",
			report.Samples, *report.Accuracy, report.Loss, *inMemory.Accuracy, inMemory.Loss)
	}
	if *report.Accuracy < 0.2 {
		t.Errorf("accuracy %v after 16 steps: no better than chance (0.1)", *report.Accuracy)
	}
}
