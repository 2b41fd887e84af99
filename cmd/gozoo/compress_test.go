package main

import (
	"encoding/json"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/zoo"
	"github.com/gozoo/gozoo/zoo/mlp"
)

func TestCompressionCommands(t *testing.T) {
	dir := t.TempDir()
	m, err := mlp.New(mlp.Config{Inputs: 784, Hidden: []int{16}, Outputs: 10}, rand.New(rand.NewPCG(1, 0)))
	if err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(dir, "mlp.safetensors")
	if err := zoo.Save(model, m, modelcard.MNIST([]int{784})); err != nil {
		t.Fatal(err)
	}
	// One-shot pruning, then the summary shows the sparsity.
	pruned := filepath.Join(dir, "pruned")
	out, stderr, code := runGozoo(t, "prune", "-json", "-quiet", "-model", model, "-sparsity", "0.75", "-epochs", "0", "-out", pruned)
	if code != 0 {
		t.Fatalf("prune: status %d: %s", code, stderr)
	}
	var rep struct {
		Sparsity float64 `json:"sparsity"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Sparsity < 0.7499 || rep.Sparsity > 0.7501 {
		t.Errorf("prune report %s (%v)", out, err)
	}
	out, _, _ = runGozoo(t, "summary", "-model", filepath.Join(pruned, "model.safetensors"))
	if !strings.Contains(out, "Sparsity") || !strings.Contains(out, "75.0%") {
		t.Errorf("summary of a pruned model:\n%s", out)
	}
	// Quantizing it keeps the zeros; the int8 file evaluates.
	int8 := filepath.Join(dir, "int8")
	if _, stderr, code = runGozoo(t, "quantize", "-eval=false", "-model", filepath.Join(pruned, "model.safetensors"), "-out", int8); code != 0 {
		t.Fatalf("quantize: %s", stderr)
	}
	if out, stderr, code = runGozoo(t, "eval", "-json", "-model", filepath.Join(int8, "model.safetensors")); code != 0 || !strings.Contains(out, `"samples":10000`) {
		t.Errorf("eval of the int8 file: %s %s", out, stderr)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"sparsity 1", []string{"prune", "-model", model, "-sparsity", "1", "-out", dir}, "-sparsity must be in [0, 1), got 1"},
		{"negative sparsity", []string{"prune", "-model", model, "-sparsity", "-0.1", "-out", dir}, "-sparsity must be in [0, 1)"},
		{"prune without out", []string{"prune", "-model", model}, "-out DIR is required"},
		{"prune a quantized file", []string{"prune", "-model", filepath.Join(int8, "model.safetensors"), "-out", dir}, "holds int8 (quantized) weights; prune takes the float32 model"},
		{"quantize twice", []string{"quantize", "-model", filepath.Join(int8, "model.safetensors"), "-out", dir}, "holds int8 (quantized) weights"},
		{"teacher of other classes", []string{"distill", "-teacher", model, "-student", "mlp:784-32-5", "-out", dir}, "the teacher has 10 classes, the student 5"},
		{"student of other inputs", []string{"distill", "-teacher", model, "-student", "mlp:100-32-10", "-out", dir}, "the student takes 100 inputs"},
		{"bad alpha", []string{"distill", "-teacher", model, "-student", "mlp:784-32-10", "-alpha", "0", "-out", dir}, "-alpha must be in (0, 1]"},
		{"bad temperature", []string{"distill", "-teacher", model, "-student", "mlp", "-temperature", "-2", "-out", dir}, "-temperature must be positive"},
		{"unknown student", []string{"distill", "-teacher", model, "-student", "resnet", "-out", dir}, `student "resnet" is not a preset`},
	} {
		t.Run(tc.name, func(t *testing.T) { checkOneLineError(t, tc.args, tc.want) })
	}
}
