package main

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// gozoo import reads torchvision's resnet18 as PyTorch exports it (random
// weights, written into a temporary folder by
// scripts/onnx_graph_fixtures.py) into a graph model file with the card the
// flags give; gozoo summary shows its residual adds and gozoo predict
// classifies a 320x240 photo with it. (onnx.TestImportPyTorchGraphs checks
// its logits against PyTorch's.)
func TestImportTorchvisionResNet18(t *testing.T) {
	if testing.Short() {
		t.Skip("runs PyTorch and a 47 MB model")
	}
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("python3 is not installed")
	}
	dir := t.TempDir()
	var stderr bytes.Buffer
	cmd := exec.Command("/usr/bin/python3", "../../scripts/onnx_graph_fixtures.py", dir, "resnet18")
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if m := regexp.MustCompile(`No module named '(torch|torchvision|numpy)'`).FindString(stderr.String()); m != "" {
			t.Skipf("python3 lacks a module (Debian: python3-torch, python3-torchvision, python3-numpy): %s", m)
		}
		t.Fatalf("onnx_graph_fixtures.py: %v\n%s", err, stderr.Bytes())
	}
	model := filepath.Join(dir, "resnet18.safetensors")
	stdout, errOut, code := runGozoo(t, "import", "-onnx", filepath.Join(dir, "resnet18.onnx"), "-o", model,
		"-dataset", "imagenet", "-mean", "0.485,0.456,0.406", "-std", "0.229,0.224,0.225")
	if code != 0 {
		t.Fatalf("import: exit %d: %s", code, errOut)
	}
	// 20 convolutions (torch folds each BatchNorm into the one before),
	// 17 ReLUs, 8 adds, the max pooling, global pooling and the classifier.
	if !strings.Contains(stdout, "graph model of 48 layers, input [3 224 224], 1000 outputs, dataset imagenet") {
		t.Errorf("import printed %q", stdout)
	}
	summary, errOut, code := runGozoo(t, "summary", "-model", model)
	// torchvision's 11,689,512 parameters, less the folded BatchNorms'
	// 9,600 scales and shifts, plus the 4,800 biases folding gave the
	// convolutions.
	if code != 0 || !regexp.MustCompile(`add1 +Add .* conv3, pool1\n`).MatchString(summary) || !strings.Contains(summary, "Total params: 11,684,712") {
		t.Errorf("summary: exit %d %s\n%s", code, errOut, summary)
	}
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7919 % 251)
	}
	img.Set(5, 5, color.White)
	photo := filepath.Join(dir, "photo.png")
	writeImage(t, photo, img)
	out, errOut, code := runGozoo(t, "predict", "-json", "-model", model, photo)
	if code != 0 {
		t.Fatalf("predict: exit %d: %s", code, errOut)
	}
	var p predictJSON
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("predict printed %q: %v", out, err)
	}
	sum, best := 0.0, 0
	for i, v := range p.Probabilities {
		sum += v
		if v > p.Probabilities[best] {
			best = i
		}
	}
	if len(p.Probabilities) != 1000 || math.Abs(sum-1) > 1e-4 || p.Class != best {
		t.Errorf("predict: class %d of %d probabilities summing to %v (largest: %d)", p.Class, len(p.Probabilities), sum, best)
	}
}
