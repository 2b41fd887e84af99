package onnx_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/gozoo/gozoo/nn"
	"github.com/gozoo/gozoo/onnx"
	"github.com/gozoo/gozoo/zoo/resnet"
)

// graphFixture is what scripts/onnx_graph_fixtures.py reports of a model
// it wrote.
type graphFixture struct {
	Name        string  `json:"name"`
	Torch       string  `json:"torch"`
	Shape       []int   `json:"shape"`
	Rows        int     `json:"rows"`
	Classes     int     `json:"classes"`
	Bytes       int     `json:"bytes"`
	MaxAbsLogit float64 `json:"max_abs_logit"`
	Seconds     float64 `json:"seconds"`
}

var missingModule = regexp.MustCompile(`No module named '(torch|torchvision|numpy)'`)

// graphFixtures runs scripts/onnx_graph_fixtures.py for the named models
// into dir, or skips the test, saying why, where Python, PyTorch or
// torchvision is missing.
func graphFixtures(t *testing.T, dir string, names ...string) map[string]graphFixture {
	t.Helper()
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("python3 is not installed")
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("/usr/bin/python3", append([]string{"../scripts/onnx_graph_fixtures.py", dir}, names...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if m := missingModule.FindString(stderr.String()); m != "" {
			t.Skipf("python3 lacks a module (Debian: python3-torch, python3-torchvision, python3-numpy): %s", m)
		}
		t.Fatalf("onnx_graph_fixtures.py: %v\n%s", err, stderr.Bytes())
	}
	out := map[string]graphFixture{}
	for _, line := range bytes.Split(bytes.TrimSpace(stdout.Bytes()), []byte("\n")) {
		var f graphFixture
		if err := json.Unmarshal(line, &f); err != nil {
			t.Fatalf("onnx_graph_fixtures.py printed %q: %v", line, err)
		}
		out[f.Name] = f
	}
	return out
}

// readFloats reads a file of little-endian float32 values.
func readFloats(t *testing.T, path string) []float32 {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v := make([]float32, len(raw)/4)
	if err := binary.Read(bytes.NewReader(raw), binary.LittleEndian, v); err != nil {
		t.Fatal(err)
	}
	return v
}

// layerTypes counts a model's layers by type.
func layerTypes(m interface{ Layers() []nn.Layer }) map[string]int {
	n := map[string]int{}
	for _, l := range m.Layers() {
		n[nn.TypeOf(l)]++
	}
	return n
}

// PyTorch graph models exported with torch.onnx.export (opset 13) import as
// graph models and give PyTorch's logits: torchvision's resnet18 on
// 224x224 images to 1e-4 (its BatchNorms folded into the convolutions, as
// torch exports in eval mode by default), scripts/resnet_torch.py's
// ResNet-20 to 1e-5 (exported keeping its BatchNormalization nodes), and a
// net with a torch.cat to 1e-5. The files are written into a temporary
// folder by scripts/onnx_graph_fixtures.py (resnet18's is 47 MB).
func TestImportPyTorchGraphs(t *testing.T) {
	dir := t.TempDir()
	fixtures := graphFixtures(t, dir, "resnet18", "resnet20", "concat")
	for _, tc := range []struct {
		name  string
		tol   float64
		types map[string]int
	}{
		{"resnet18", 1e-4, map[string]int{"Conv2D": 20, "ReLU": 17, "Add": 8, "MaxPool2D": 1, "GlobalAveragePooling2D": 1, "Dense": 1}},
		{"resnet20", 1e-5, map[string]int{"Conv2D": 21, "BatchNorm2D": 21, "ReLU": 19, "Add": 9, "GlobalAveragePooling2D": 1, "Dense": 1}},
		{"concat", 1e-5, map[string]int{"Conv2D": 4, "BatchNorm2D": 1, "ReLU": 3, "Concatenate": 1, "MaxPool2D": 1, "Add": 1, "GlobalAveragePooling2D": 1, "Dense": 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx, ok := fixtures[tc.name]
			if !ok {
				t.Fatalf("the script wrote no %s", tc.name)
			}
			m, card := importFile(t, filepath.Join(dir, tc.name+".onnx"), onnx.ImportOptions{})
			g, ok := m.(*nn.GraphModel)
			if !ok {
				t.Fatalf("imported a %T, want an *nn.GraphModel", m)
			}
			if got := layerTypes(g); !equalCounts(got, tc.types) {
				t.Errorf("layers %v, want %v", got, tc.types)
			}
			if len(card.Shape) != 3 || card.Shape[1] != fx.Shape[1] || g.OutputShape()[0] != fx.Classes {
				t.Errorf("card %+v, output %v; want input %v and %d classes", card, g.OutputShape(), fx.Shape, fx.Classes)
			}
			if tc.name == "resnet20" {
				// The same network as gozoo's own ResNet-20, layer for layer.
				own, err := resnet.New(resnet.ResNet20([3]int{3, 32, 32}, 10), rand.New(rand.NewPCG(1, 1)))
				if err != nil {
					t.Fatal(err)
				}
				if a, b := layerTypes(own), layerTypes(g); !equalCounts(a, b) || paramCount(own) != paramCount(g) {
					t.Errorf("imported %v with %d parameters, gozoo's resnet20 is %v with %d", b, paramCount(g), a, paramCount(own))
				}
			}
			x := readFloats(t, filepath.Join(dir, tc.name+"_input.f32"))
			logits := readFloats(t, filepath.Join(dir, tc.name+"_logits.f32"))
			want := make([]float64, len(logits))
			for i, v := range logits {
				want[i] = float64(v)
			}
			got := forward(t, g, x, fx.Rows)
			worst := maxDiff(t, got, want, tc.tol)
			t.Logf("%s (torch %s, %d bytes): %d layers, %d inputs of %v; largest |logit| %.3g, largest difference from PyTorch %.2g",
				tc.name, fx.Torch, fx.Bytes, len(g.Layers()), fx.Rows, fx.Shape, fx.MaxAbsLogit, worst)
		})
	}
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func paramCount(m nn.Model) int {
	n := 0
	for _, p := range m.Params() {
		n += len(p.Data())
	}
	return n
}
