package onnx_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/gozoo/gozoo/io/cifar10"
	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/nn"
	"github.com/gozoo/gozoo/onnx"
	"github.com/gozoo/gozoo/zoo"
	"github.com/gozoo/gozoo/zoo/cnn"
	"github.com/gozoo/gozoo/zoo/mlp"
	"github.com/gozoo/gozoo/zoo/resnet"
)

// exportCase is a model to export, with its card.
type exportCase struct {
	name  string
	model zoo.Model
	card  *modelcard.Card
	rows  int // inputs for the runtime check; 0 means 100
}

// perturb gives biases, BatchNorm scales, shifts and running statistics
// seeded values away from their initial 0 and 1, so that a layout or
// epsilon mistake in the export shows in the outputs.
func perturb(m zoo.Model, rng *rand.Rand) {
	for _, p := range m.Params() {
		d := p.Data()
		for i := range d {
			switch {
			case strings.HasSuffix(p.Name, "/running_var"), strings.HasSuffix(p.Name, "/gamma"):
				d[i] = float32(0.5 + rng.Float64())
			case strings.HasSuffix(p.Name, "/running_mean"), strings.HasSuffix(p.Name, "/beta"), strings.HasSuffix(p.Name, "/bias"):
				d[i] = float32(0.2 * rng.NormFloat64())
			}
		}
	}
}

// custom is a Sequential of every exportable layer type.
func custom(rng *rand.Rand) (*nn.Sequential, error) {
	conv, err := nn.NewConv2D("conv_nobias", 3, 6, [2]int{3, 3}, [2]int{2, 1}, [2]int{1, 0}, false, nn.GlorotUniform, rng)
	if err != nil {
		return nil, err
	}
	avg, err := nn.NewAvgPool2D("avg", [2]int{3, 3}, [2]int{1, 1}, [2]int{1, 1})
	if err != nil {
		return nil, err
	}
	max, err := nn.NewMaxPool2D("max", [2]int{3, 2}, [2]int{2, 2}, [2]int{1, 1})
	if err != nil {
		return nil, err
	}
	b := nn.NewBuilder([]int{3, 12, 10}, rng)
	b.Add(conv, nil)
	b.BatchNorm("bn2d")
	b.Activation("tanh", nn.Tanh)
	b.Add(avg, nil)
	b.Add(max, nil)
	b.Conv2D("conv", 4, 3, 1)
	b.ReLU("relu")
	b.Flatten("flat")
	b.Dense("hidden", 12)
	b.BatchNorm("bn1d")
	b.Activation("sigmoid", nn.Sigmoid)
	b.Dropout("drop", 0.3)
	b.Dense("out", 5)
	b.Activation("softmax", nn.Softmax)
	return b.Build()
}

// residual is a small graph model of every merge: a projection shortcut
// (a 1x1 convolution with stride 2 and a BatchNorm) added to a block of
// strided, bias-free convolutions, a branch joined by Concatenate on the
// channels, an Add of three, global average pooling and a dropout before
// the classifier.
func residual(rng *rand.Rand) (*nn.GraphModel, error) {
	b := nn.NewGraphBuilder(rng)
	b.Name = "residual"
	x := b.Input("image", 3, 12, 12)
	x = b.ReLU("stem.relu", b.BatchNorm("stem.bn", b.Conv2D("stem.conv", x, 8, 3, 1, 1, false)))
	y := b.ReLU("block.relu1", b.BatchNorm("block.bn1", b.Conv2D("block.conv1", x, 16, 3, 2, 1, false)))
	y = b.BatchNorm("block.bn2", b.Conv2D("block.conv2", y, 16, 3, 1, 1, true))
	short := b.BatchNorm("block.proj.bn", b.Conv2D("block.proj", x, 16, 1, 2, 0, false))
	y = b.ReLU("block.relu2", b.Add("block.add", y, short))
	branch := b.Conv2D("branch", b.MaxPool2D("branch.pool", x, 2), 4, 1, 1, 0, true)
	y = b.Concatenate("cat", 0, y, branch)
	y = b.Add("sum3", b.Conv2D("c1", y, 6, 1, 1, 0, true), b.Conv2D("c2", y, 6, 3, 1, 1, false), b.Conv2D("c3", y, 6, 1, 1, 0, false))
	v := b.Dropout("drop", b.GlobalAvgPool2D("gap", y), 0.2)
	v = b.Concatenate("features", -1, v, b.Dense("side", v, 3))
	return b.Build(b.Dense("fc", v, 5))
}

func exportCases(t *testing.T) []exportCase {
	t.Helper()
	rng := rand.New(rand.NewPCG(14, 1))
	m1, err := mlp.New(mlp.Config{Inputs: 784, Hidden: []int{64, 32}, Outputs: 10, Activation: "tanh"}, rng)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := cnn.NewLeNet5(cnn.LeNet5Config{}, rng)
	if err != nil {
		t.Fatal(err)
	}
	m3, err := cnn.NewVGG(cnn.VGGConfig{}, rng)
	if err != nil {
		t.Fatal(err)
	}
	m4, err := custom(rng)
	if err != nil {
		t.Fatal(err)
	}

	cifar := &modelcard.Card{Dataset: modelcard.CIFAR10Dataset, Shape: []int{3, 32, 32}, ClassNames: cifar10.ClassNames(),
		Mean: []float32{0.4914, 0.4822, 0.4465}, Std: []float32{0.247, 0.2435, 0.2616}}
	cases := []exportCase{
		{"mlp", m1, modelcard.MNIST([]int{784}), 0},
		{"lenet5", m2, modelcard.MNIST([]int{1, 28, 28}), 0},
		{"cifar-vgg", m3, cifar, 0},
		{"custom", m4, &modelcard.Card{Dataset: "shapes", Shape: []int{3, 12, 10}, ClassNames: []string{"a", "b", "c", "d", "e"}, Mean: []float32{0.5, 0.5, 0.5}, Std: []float32{0.25, 0.25, 0.25}}, 0},
	}
	for _, c := range cases {
		perturb(c.model, rng)
	}
	return cases
}

// graphExportCases are graph models: residual and ResNet-20.
func graphExportCases(t *testing.T) []exportCase {
	t.Helper()
	rng := rand.New(rand.NewPCG(15, 1))
	small, err := residual(rng)
	if err != nil {
		t.Fatal(err)
	}
	resnet20, err := resnet.New(resnet.ResNet20([3]int{3, 32, 32}, 10), rng)
	if err != nil {
		t.Fatal(err)
	}
	cifar := &modelcard.Card{Dataset: modelcard.CIFAR10Dataset, Shape: []int{3, 32, 32}, ClassNames: cifar10.ClassNames(),
		Mean: []float32{0.4914, 0.4822, 0.4465}, Std: []float32{0.247, 0.2435, 0.2616}}
	cases := []exportCase{
		{"residual", small, &modelcard.Card{Dataset: "shapes", Shape: []int{3, 12, 12}, ClassNames: []string{"a", "b", "c", "d", "e"}}, 0},
		{"resnet20", resnet20, cifar, 10},
	}
	for _, c := range cases {
		perturb(c.model, rng)
	}
	return cases
}

// sampleInputs returns rows seeded pixel-like inputs in [0, 1).
func sampleInputs(m nn.Model, rows int, seed uint64) []float32 {
	n := rows
	for _, d := range m.InputShape() {
		n *= d
	}
	rng := rand.New(rand.NewPCG(seed, 0))
	x := make([]float32, n)
	for i := range x {
		x[i] = rng.Float32()
	}
	return x
}

// forward runs m in evaluation mode on rows samples.
func forward(t *testing.T, m nn.Model, x []float32, rows int) []float32 {
	t.Helper()
	p, err := nn.Compile(m, nn.Evaluation, rows, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	copy(p.Input(), x)
	if err := p.Run(nil); err != nil {
		t.Fatal(err)
	}
	return append([]float32(nil), p.Outputs()...)
}

func export(t *testing.T, c exportCase) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := onnx.Export(c.model, c.card, &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// An exported model imports back into the same layers (Dropout aside),
// the same weights bit for bit, the same outputs and the same card; a
// chain as an *nn.Sequential, a graph as an *nn.GraphModel reading what
// the original's layers read.
func TestExportImportRoundTrip(t *testing.T) {
	for _, c := range append(exportCases(t), graphExportCases(t)...) {
		t.Run(c.name, func(t *testing.T) {
			data := export(t, c)
			m, card, err := onnx.Import(bytes.NewReader(data), onnx.ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if g, ok := c.model.(*nn.GraphModel); ok {
				imported, ok := m.(*nn.GraphModel)
				if !ok {
					t.Fatalf("a graph model imports as a %T", m)
				}
				if got, want := readsByIndex(imported), readsByIndex(g); !reflect.DeepEqual(got, want) {
					t.Errorf("the layers read %v, want %v", got, want)
				}
			} else if _, ok := m.(*nn.Sequential); !ok {
				t.Fatalf("a chain imports as a %T", m)
			}
			if !reflect.DeepEqual(card, c.card) {
				t.Errorf("card %+v, want %+v", card, c.card)
			}
			var want []string
			for _, l := range c.model.(interface{ Layers() []nn.Layer }).Layers() {
				if typ := nn.TypeOf(l); typ != "Dropout" {
					want = append(want, typ)
				}
			}
			var got []string
			for _, l := range m.Layers() {
				got = append(got, nn.TypeOf(l))
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("layers %v, want %v", got, want)
			}
			const rows = 3
			x := sampleInputs(c.model, rows, 5)
			if a, b := forward(t, m, x, rows), forward(t, c.model, x, rows); !reflect.DeepEqual(a, b) {
				t.Errorf("outputs after the round trip %v, before %v", a, b)
			}
		})
	}
}

// readsByIndex says what each layer of m reads, Dropout left out (what
// reads a Dropout reads its input), as positions among the other layers
// (-1 the input): names differ after an import.
func readsByIndex(m *nn.GraphModel) [][]int {
	index := map[string]int{m.InputNames()[0]: -1}
	var out [][]int
	all := m.LayerInputs()
	for i, l := range m.Layers() {
		reads := all[i]
		if nn.TypeOf(l) == "Dropout" {
			index[l.Name()] = index[reads[0]]
			continue
		}
		r := make([]int, len(reads))
		for j, name := range reads {
			r[j] = index[name]
		}
		index[l.Name()] = len(out)
		out = append(out, r)
	}
	return out
}

// runtimeMissing reports why the Python checks cannot run, or "".
func runtimeMissing() string {
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		return "python3 is not installed"
	}
	if out, err := exec.Command("/usr/bin/python3", "-c", "import onnx, cv2, numpy").CombinedOutput(); err != nil {
		return fmt.Sprintf("python3 lacks onnx, cv2 or numpy (.ci/run installs python3-onnx, python3-opencv and python3-numpy): %s", bytes.TrimSpace(out))
	}
	return ""
}

// Exports of every built-in kind, of a Sequential of every exportable
// layer and of two graph models (a small net of every merge, ResNet-20)
// pass onnx.checker (full check, with strict shape inference), and
// OpenCV's dnn module, an independent runtime, computes the same outputs
// as gozoo to 1e-5 on 100 inputs (10 for ResNet-20).
func TestExportRunsInOpenCV(t *testing.T) {
	if why := runtimeMissing(); why != "" {
		t.Skip(why)
	}
	for _, c := range append(exportCases(t), graphExportCases(t)...) {
		t.Run(c.name, func(t *testing.T) {
			rows := c.rows
			if rows == 0 {
				rows = 100
			}
			dir := t.TempDir()
			model := filepath.Join(dir, "model.onnx")
			if err := os.WriteFile(model, export(t, c), 0o644); err != nil {
				t.Fatal(err)
			}
			x := sampleInputs(c.model, rows, 100)
			var buf bytes.Buffer
			binary.Write(&buf, binary.LittleEndian, x)
			in, out := filepath.Join(dir, "x.f32"), filepath.Join(dir, "y.f32")
			if err := os.WriteFile(in, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			report, err := exec.Command("/usr/bin/python3", "../scripts/onnx_check.py", model, in, fmt.Sprint(rows), out).CombinedOutput()
			if err != nil {
				t.Fatalf("onnx_check.py: %v\n%s", err, report)
			}
			var info struct {
				OpenCV   string            `json:"opencv"`
				Output   []int             `json:"output"`
				Metadata map[string]string `json:"metadata"`
			}
			lines := bytes.Split(bytes.TrimSpace(report), []byte("\n"))
			if err := json.Unmarshal(lines[len(lines)-1], &info); err != nil {
				t.Fatalf("onnx_check.py printed %q: %v", report, err)
			}
			raw, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]float32, len(raw)/4)
			binary.Read(bytes.NewReader(raw), binary.LittleEndian, got)
			want := forward(t, c.model, x, rows)
			wide := make([]float64, len(want))
			for i, v := range want {
				wide[i] = float64(v)
			}
			worst := maxDiff(t, got, wide, 1e-5)
			largest := 0.0
			for _, v := range wide {
				largest = math.Max(largest, math.Abs(v))
			}
			t.Logf("%s: onnx.checker passed; OpenCV %s output %v, largest difference from gozoo %.2g (largest output %.3g)", c.name, info.OpenCV, info.Output, worst, largest)
			if info.Metadata[onnx.ClassNamesKey] == "" || info.Metadata[onnx.CardKey] == "" {
				t.Errorf("metadata_props %v lack the card", info.Metadata)
			}
		})
	}
}

// opaque is a layer that does not describe itself.
type opaque struct{}

func (opaque) Name() string                                    { return "mine" }
func (opaque) Params() []*nn.Param                             { return nil }
func (opaque) OutputShape(in []int) ([]int, error)             { return in, nil }
func (opaque) Forward(_ *nn.Graph, x *G.Node) (*G.Node, error) { return x, nil }

// notSequential is a zoo.Model that is not a chain of layers.
type notSequential struct{ *nn.Sequential }

func (notSequential) Architecture() {}

func TestExportErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	withOpaque, err := nn.NewSequential([]int{4}, opaque{})
	if err != nil {
		t.Fatal(err)
	}
	dense, err := nn.NewBuilder([]int{4}, rng).Dense("d", 3).Build()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		model zoo.Model
		card  *modelcard.Card
		want  string
	}{
		{"no model", nil, nil, "no model"},
		{"layer that cannot describe itself", withOpaque, nil, `layer 1 (mine) of type onnx_test.opaque cannot describe itself`},
		{"not a sequence of layers", notSequential{dense}, nil, "is not a sequence of gozoo layers"},
		{"card for another shape", dense, modelcard.MNIST([]int{784}), "the model takes input [4], its card says [784]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := onnx.Export(tc.model, tc.card, &buf)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes despite the error", buf.Len())
			}
		})
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestExportWriteError(t *testing.T) {
	m, err := nn.NewBuilder([]int{2}, rand.New(rand.NewPCG(1, 1))).Dense("d", 1).Build()
	if err != nil {
		t.Fatal(err)
	}
	if err := onnx.Export(m, nil, failingWriter{}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("error %v, want the writer's", err)
	}
}

func TestExportFile(t *testing.T) {
	m, err := nn.NewBuilder([]int{2}, rand.New(rand.NewPCG(1, 1))).Dense("d", 1).Build()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "m.onnx")
	if err := onnx.ExportFile(path, m, nil); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o644 {
		t.Fatalf("stat: %v, %v", info, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := onnx.ExportFile(path, m, nil); err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v after overwriting a 0600 file", info.Mode().Perm())
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, _, err := onnx.Import(f, onnx.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	// A model that cannot be exported leaves the earlier file alone.
	withOpaque, _ := nn.NewSequential([]int{2}, opaque{})
	if err := onnx.ExportFile(path, withOpaque, nil); err == nil {
		t.Fatal("no error")
	}
	if err := onnx.ExportFile(filepath.Join(dir, "missing", "m.onnx"), m, nil); err == nil {
		t.Fatal("no error for a missing folder")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries, want only m.onnx", len(entries))
	}
}
