package main

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/gozoo/gozoo/examples/internal/testmodel"
	"github.com/gozoo/gozoo/zoo"
)

func TestDistillExample(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on MNIST")
	}
	dir := t.TempDir()
	teacher := testmodel.MLP(t, dir, 64, 3000)
	out := filepath.Join(dir, "student")
	stdout, err := exec.Command("go", "run", ".", "-teacher", teacher, "-student", "mlp:784-16-10", "-epochs", "1", "-limit", "3000", "-out", out).Output()
	if err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if !regexp.MustCompile(`^teacher 0\.\d{4}, distilled student 0\.\d{4}, student alone 0\.\d{4}\n$`).Match(stdout) {
		t.Errorf("output %q", stdout)
	}
	m, card, err := zoo.Load(filepath.Join(out, "model.safetensors"))
	if err != nil || card == nil || m.InputShape()[0] != 784 {
		t.Errorf("student file: %v", err)
	}
}
