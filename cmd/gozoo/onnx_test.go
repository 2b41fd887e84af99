package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// PyTorch's LeNet-5 (onnx/testdata/torch, written by scripts/onnx_fixtures.py)
// imports into a model file that gozoo eval scores as PyTorch did (9629 of
// the 10,000 MNIST test images), and exports and imports again unchanged.
func TestImportExportCommands(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "lenet.safetensors")
	stdout, stderr, code := runGozoo(t, "import", "-onnx", "../../onnx/testdata/torch/lenet5.onnx", "-o", model)
	if code != 0 {
		t.Fatalf("import: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "12 layers, input [1 28 28], 10 outputs, dataset mnist") {
		t.Errorf("import printed %q", stdout)
	}
	stdout, stderr, code = runGozoo(t, "eval", "-model", model, "-json")
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, stderr)
	}
	var rep struct {
		Accuracy float64 `json:"accuracy"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("eval printed %q: %v", stdout, err)
	}
	if rep.Accuracy != 0.9629 {
		t.Errorf("eval accuracy %v, PyTorch's 0.9629", rep.Accuracy)
	}

	exported := filepath.Join(dir, "lenet.onnx")
	stdout, stderr, code = runGozoo(t, "export", "-model", model, "-o", exported)
	if code != 0 || !strings.Contains(stdout, "ONNX IR version 7, opset 13") {
		t.Fatalf("export: exit %d: %s%s", code, stdout, stderr)
	}
	again := filepath.Join(dir, "again.safetensors")
	if _, stderr, code = runGozoo(t, "import", "-onnx", exported, "-o", again, "-classes", "zero,one,two,three,four,five,six,seven,eight,nine"); code != 0 {
		t.Fatalf("import of the export: exit %d: %s", code, stderr)
	}
	first, _, _ := runGozoo(t, "summary", "-model", model)
	second, _, _ := runGozoo(t, "summary", "-model", again)
	if first != second || first == "" {
		t.Errorf("summaries differ:\n%s\n%s", first, second)
	}
}

func TestImportExportErrors(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.onnx")
	if err := os.WriteFile(garbage, []byte("not an onnx file at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	lenet := "../../onnx/testdata/torch/lenet5.onnx"
	out := filepath.Join(dir, "m.safetensors")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"import", "-o", out}, "-onnx FILE and -o FILE.safetensors are required"},
		{[]string{"import", "-onnx", garbage, "-o", out}, "gozoo import: " + garbage + ": onnx: "},
		{[]string{"import", "-onnx", filepath.Join(dir, "missing.onnx"), "-o", out}, "no such file"},
		{[]string{"import", "-onnx", lenet, "-o", out, "-classes", "a,b"}, "2 class names for a model with 10 outputs"},
		{[]string{"import", "-onnx", lenet, "-o", out, "-mean", "0.1"}, "give -mean and -std together"},
		{[]string{"import", "-onnx", lenet, "-o", out, "-mean", "x", "-std", "1"}, `-mean "x": "x" is not a number`},
		{[]string{"import", "-onnx", lenet, "-o", filepath.Join(dir, "no", "such", "dir", "m.safetensors")}, "no such file"},
		{[]string{"export", "-model", out}, "-model FILE and -o FILE.onnx are required"},
		{[]string{"export", "-model", garbage, "-o", filepath.Join(dir, "x.onnx")}, "gozoo export: "},
		{[]string{"export", "-bogus"}, "flag provided but not defined: -bogus"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			stdout, stderr, code := runGozoo(t, tc.args...)
			if code != 1 || stdout != "" {
				t.Errorf("exit %d, stdout %q; want 1 and nothing", code, stdout)
			}
			if !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr %q, want one line containing %q", stderr, tc.want)
			}
		})
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed import left %s behind", out)
	}
}
