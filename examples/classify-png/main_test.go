package main

import (
	"encoding/json"
	"math"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/examples/internal/testmodel"
)

type prediction struct {
	File          string    `json:"file"`
	Class         int       `json:"class"`
	ClassName     string    `json:"class_name"`
	Probabilities []float64 `json:"probabilities"`
	Top3          []struct {
		Class int     `json:"class"`
		Name  string  `json:"name"`
		P     float64 `json:"p"`
	} `json:"top3"`
}

func decodeLines(t *testing.T, out []byte) []prediction {
	t.Helper()
	var ps []prediction
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p prediction
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	return ps
}

// The recipe's 40-line program classifies 10 PNG test digits with a model
// written by gozoo train -out exactly as gozoo predict -json does.
func TestSameAsGozooPredict(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on MNIST")
	}
	dir := t.TempDir()
	gozoo, classify := filepath.Join(dir, "gozoo"), filepath.Join(dir, "classify-png")
	for bin, pkg := range map[string]string{gozoo: "../../cmd/gozoo", classify: "."} {
		if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", pkg, err, out)
		}
	}
	run := filepath.Join(dir, "run")
	if out, err := exec.Command(gozoo, "train", "-epochs", "1", "-quiet", "-out", run).CombinedOutput(); err != nil {
		t.Fatalf("gozoo train: %v\n%s", err, out)
	}
	// Drawn at 2x and dark on light, so resizing and auto-inversion run.
	pngs, labels := testmodel.Digits(t, dir, 10, 2, true)
	model := filepath.Join(run, "model.safetensors")
	cliOut, err := exec.Command(gozoo, append([]string{"predict", "-json", "-model", model}, pngs...)...).Output()
	if err != nil {
		t.Fatalf("gozoo predict: %v", err)
	}
	goOut, err := exec.Command(classify, append([]string{model}, pngs...)...).Output()
	if err != nil {
		t.Fatalf("classify-png: %v", err)
	}
	cli, lib := decodeLines(t, cliOut), decodeLines(t, goOut)
	if len(cli) != 10 || len(lib) != 10 {
		t.Fatalf("%d and %d results for 10 images", len(cli), len(lib))
	}
	correct := 0
	for i := range cli {
		c, g := cli[i], lib[i]
		if c.File != g.File || c.Class != g.Class || c.ClassName != g.ClassName || len(g.Probabilities) != 10 || len(g.Top3) != 3 {
			t.Errorf("image %d: gozoo predict %+v, the Go program %+v", i, c, g)
			continue
		}
		for k := range c.Probabilities {
			if math.Abs(c.Probabilities[k]-g.Probabilities[k]) > 1e-6 {
				t.Errorf("image %d class %d: p %v vs %v", i, k, c.Probabilities[k], g.Probabilities[k])
			}
		}
		if c.Class == labels[i] {
			correct++
		}
	}
	if correct < 8 {
		t.Errorf("%d of 10 digits right after an epoch", correct)
	}
}
