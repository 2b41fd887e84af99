package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/examples/internal/testmodel"
	"github.com/gozoo/gozoo/io/imagein"
	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/predict"
)

// The recipe's program trains its own CNN on a small subset, saves it, and
// a fresh process that loads the file classifies PNG digits with the very
// probabilities the trained model in memory gives, bit for bit.
func TestTrainSaveClassifyInANewProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on MNIST")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "run")
	model, err := train(context.Background(), 1, 1000, out)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"model.safetensors", "last.safetensors", "best.safetensors"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("the run left no %s: %v", f, err)
		}
	}
	pngs, _ := testmodel.Digits(t, dir, 3, 1, false)

	bin := filepath.Join(dir, "custom-cnn")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	stdout, err := exec.Command(bin, append([]string{"classify", "-model", filepath.Join(out, "model.safetensors")}, pngs...)...).Output()
	if err != nil {
		t.Fatalf("classify: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(stdout)), "\n")
	if len(lines) != len(pngs) {
		t.Fatalf("%d lines for %d images: %s", len(lines), len(pngs), stdout)
	}

	inMemory, err := predict.New(model, modelcard.MNIST([]int{1, 28, 28}), predict.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer inMemory.Close()
	for i, line := range lines {
		var got struct {
			File          string    `json:"file"`
			Class         string    `json:"class"`
			Probabilities []float64 `json:"probabilities"`
		}
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatal(err)
		}
		img, err := imagein.ReadFile(pngs[i])
		if err != nil {
			t.Fatal(err)
		}
		want, err := inMemory.Classify(context.Background(), img, predict.ClassifyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got.File != pngs[i] || got.Class != want.ClassName || len(got.Probabilities) != 10 {
			t.Fatalf("line %q, want class %s", line, want.ClassName)
		}
		for k, p := range want.Probabilities {
			if got.Probabilities[k] != p {
				t.Errorf("image %d class %d: the new process says p=%v, the trained model %v", i, k, got.Probabilities[k], p)
			}
		}
	}
}

func TestUsage(t *testing.T) {
	if err := run(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "usage:") {
		t.Errorf("no arguments: %v", err)
	}
}
