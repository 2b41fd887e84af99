package main

import (
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/zoo"
	"github.com/gozoo/gozoo/zoo/resnet"
)

// tinyResNet saves a small residual network (a stem, one projection block
// with stride 2, global pooling) with MNIST's card: a graph model that
// every command must take as it takes a chain.
func tinyResNet(t *testing.T, path string) {
	t.Helper()
	cfg := resnet.Config{InputShape: [3]int{1, 28, 28}, Classes: 10, Depth: 8, Widths: [3]int{4, 4, 8}}
	m, err := resnet.New(cfg, rand.New(rand.NewPCG(3, 0)))
	if err != nil {
		t.Fatal(err)
	}
	if err := zoo.Save(path, m, modelcard.MNIST([]int{1, 28, 28})); err != nil {
		t.Fatal(err)
	}
}

// summary, eval, predict, serve, prune, quantize and distill take a graph
// model file; the server answers with what predict says.
func TestGraphModelCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("evaluates on MNIST")
	}
	dir := t.TempDir()
	model := filepath.Join(dir, "graph.safetensors")
	tinyResNet(t, model)

	out, stderr, code := runGozoo(t, "summary", "-model", model)
	if code != 0 || !strings.Contains(out, "Connected to") || !strings.Contains(out, "layer2.0.bn2, layer2.0.downsample.1") {
		t.Fatalf("summary: status %d %s\n%s", code, stderr, out)
	}
	if out, stderr, code = runGozoo(t, "eval", "-json", "-model", model); code != 0 || !strings.Contains(out, `"samples":10000`) {
		t.Fatalf("eval: status %d %s %s", code, out, stderr)
	}

	// predict and serve agree on ten test digits.
	card := modelcard.MNIST([]int{1, 28, 28})
	data, err := card.Data("")
	if err != nil {
		t.Fatal(err)
	}
	var pngs []string
	pixels := make([][]float32, 5)
	for i := range pixels {
		pixels[i] = make([]float32, 784)
		data.Test.Input(i, pixels[i])
		img := image.NewGray(image.Rect(0, 0, 28, 28))
		for k, v := range pixels[i] {
			img.SetGray(k%28, k/28, color.Gray{Y: uint8(math.Round(float64(v) * 255))})
		}
		pngs = append(pngs, filepath.Join(dir, fmt.Sprintf("digit%d.png", i)))
		writeImage(t, pngs[i], img)
	}
	out, stderr, code = runGozoo(t, append([]string{"predict", "-json", "-model", model}, pngs...)...)
	if code != 0 {
		t.Fatalf("predict: %s", stderr)
	}
	var want []predictJSON
	for dec := json.NewDecoder(strings.NewReader(out)); dec.More(); {
		var p predictJSON
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		want = append(want, p)
	}
	if len(want) != len(pngs) {
		t.Fatalf("predict gave %d answers for %d images", len(want), len(pngs))
	}
	p := startServe(t, "-model", model)
	for i, x := range pixels {
		body, _ := json.Marshal(map[string]any{"inputs": []map[string]any{{"name": "input", "shape": []int{1, 1, 28, 28}, "datatype": "FP32", "data": x}}})
		got := inferOutputs(t, "http://"+p.addr+"/v2/models/graph/infer", body)
		var probs []float64
		if err := json.Unmarshal(got["probabilities"], &probs); err != nil {
			t.Fatal(err)
		}
		for k, w := range want[i].Probabilities {
			if len(probs) != 10 || math.Abs(probs[k]-w) > 1e-6 {
				t.Fatalf("digit %d: served %v, predict %v", i, probs, want[i].Probabilities)
			}
		}
	}

	// Pruning, then int8 weights, then evaluation of the int8 file.
	pruned := filepath.Join(dir, "pruned")
	if out, stderr, code = runGozoo(t, "prune", "-json", "-quiet", "-model", model, "-sparsity", "0.5", "-epochs", "0", "-out", pruned); code != 0 {
		t.Fatalf("prune: status %d: %s", code, stderr)
	}
	if out, _, _ = runGozoo(t, "summary", "-model", filepath.Join(pruned, "model.safetensors")); !strings.Contains(out, "50.0%") {
		t.Errorf("summary of a pruned graph model:\n%s", out)
	}
	int8 := filepath.Join(dir, "int8")
	if _, stderr, code = runGozoo(t, "quantize", "-eval=false", "-model", filepath.Join(pruned, "model.safetensors"), "-out", int8); code != 0 {
		t.Fatalf("quantize: %s", stderr)
	}
	if out, stderr, code = runGozoo(t, "eval", "-json", "-model", filepath.Join(int8, "model.safetensors")); code != 0 || !strings.Contains(out, `"samples":10000`) {
		t.Fatalf("eval of the int8 graph model: %s %s", out, stderr)
	}
	// A graph teacher and a graph student (the untrained teacher is mostly
	// ignored: the hard labels teach).
	if out, stderr, code = runGozoo(t, "distill", "-json", "-quiet", "-teacher", model, "-student", model, "-alpha", "0.05", "-epochs", "1", "-batch", "128", "-lr", "0.01", "-out", filepath.Join(dir, "student")); code != 0 {
		t.Fatalf("distill: status %d: %s", code, stderr)
	}
	var rep struct {
		StudentAccuracy float64 `json:"student_accuracy"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.StudentAccuracy < 0.5 {
		t.Errorf("distill report %s (%v): a graph student learns nothing", out, err)
	}
}
