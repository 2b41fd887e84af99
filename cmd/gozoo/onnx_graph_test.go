package main

import (
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"path/filepath"
	"strings"
	"testing"
)

// gozoo export writes a graph model file as ONNX, and gozoo import reads
// that file back into a graph model that predicts what the original does,
// probability for probability.
func TestExportImportGraphCommands(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "graph.safetensors")
	tinyResNet(t, model)
	exported := filepath.Join(dir, "graph.onnx")
	stdout, stderr, code := runGozoo(t, "export", "-model", model, "-o", exported)
	if code != 0 || !strings.Contains(stdout, "graph model, ONNX IR version 7, opset 13") {
		t.Fatalf("export: exit %d: %s%s", code, stdout, stderr)
	}
	again := filepath.Join(dir, "again.safetensors")
	stdout, stderr, code = runGozoo(t, "import", "-onnx", exported, "-o", again)
	if code != 0 {
		t.Fatalf("import of the export: exit %d: %s", code, stderr)
	}
	// tinyResNet's ResNet-8: the stem's conv, BN and ReLU, three blocks of
	// 7, 9 and 9 layers (the last two with a projection), global pooling
	// and the classifier.
	if !strings.Contains(stdout, "graph model of 30 layers, input [1 28 28], 10 outputs, dataset mnist") {
		t.Errorf("import printed %q", stdout)
	}
	var images []string
	for i := 0; i < 3; i++ {
		img := image.NewGray(image.Rect(0, 0, 28, 28))
		for k := range img.Pix {
			img.Pix[k] = uint8((k*37 + i*101) % 256)
		}
		img.SetGray(i, i, color.Gray{Y: 255})
		images = append(images, filepath.Join(dir, fmt.Sprintf("image%d.png", i)))
		writeImage(t, images[i], img)
	}
	predictions := func(model string) []predictJSON {
		out, stderr, code := runGozoo(t, append([]string{"predict", "-json", "-model", model}, images...)...)
		if code != 0 {
			t.Fatalf("predict -model %s: exit %d: %s", model, code, stderr)
		}
		var ps []predictJSON
		for dec := json.NewDecoder(strings.NewReader(out)); dec.More(); {
			var p predictJSON
			if err := dec.Decode(&p); err != nil {
				t.Fatal(err)
			}
			p.File = filepath.Base(p.File)
			ps = append(ps, p)
		}
		return ps
	}
	want, got := predictions(model), predictions(again)
	a, _ := json.Marshal(want)
	b, _ := json.Marshal(got)
	if len(want) != len(images) || string(a) != string(b) {
		t.Errorf("predictions of the imported export\n%s\ndiffer from the original's\n%s", b, a)
	}
}
