package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/gozoo/gozoo/examples/internal/testmodel"
)

func TestQuantizeExample(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on MNIST")
	}
	dir := t.TempDir()
	model := testmodel.MLP(t, dir, 64, 3000)
	out := filepath.Join(dir, "int8")
	stdout, err := exec.Command("go", "run", ".", "-model", model, "-out", out).Output()
	if err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	m := regexp.MustCompile(`float32 test accuracy (0\.\d+)\nint8    test accuracy (0\.\d+)\n`).FindStringSubmatch(string(stdout))
	if m == nil {
		t.Fatalf("output %s", stdout)
	}
	f32, _ := strconv.ParseFloat(m[1], 64)
	i8, _ := strconv.ParseFloat(m[2], 64)
	if f32 < 0.85 || f32-i8 > 0.002 {
		t.Errorf("float32 %v, int8 %v", f32, i8)
	}
	a, _ := os.Stat(model)
	b, err := os.Stat(filepath.Join(out, "model.safetensors"))
	if err != nil || float64(b.Size()) > 0.3*float64(a.Size()) {
		t.Errorf("int8 file %v bytes for %d (%v)", b, a.Size(), err)
	}
}
