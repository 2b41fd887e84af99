package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/examples/internal/testmodel"
	"github.com/gozoo/gozoo/recipes/prune"
	"github.com/gozoo/gozoo/zoo"
)

func TestPruneExample(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on MNIST")
	}
	dir := t.TempDir()
	model := testmodel.MLP(t, dir, 32, 2000)
	out := filepath.Join(dir, "pruned")
	stdout, err := exec.Command("go", "run", ".", "-model", model, "-sparsity", "0.8", "-epochs", "1", "-limit", "2000", "-out", out).Output()
	if err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if !strings.Contains(string(stdout), "sparsity 0.800: test accuracy") {
		t.Errorf("output %s", stdout)
	}
	m, _, err := zoo.Load(filepath.Join(out, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	params, _ := prune.Prunable(m)
	if _, s := prune.Count(params); s < 0.7999 || s > 0.8001 || params[0].Mask == nil {
		t.Errorf("saved sparsity %v, mask %v", s, params[0].Mask != nil)
	}
}
