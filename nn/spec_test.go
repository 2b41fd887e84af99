package nn

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// everyLayerNet uses each layer type of the package once (activations all
// four), so a round trip through its Architecture covers every spec.
func everyLayerNet(t *testing.T) *Sequential {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	must := func(l Layer, err error) Layer {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	layers := []Layer{
		must(NewConv2D("conv", 1, 3, [2]int{3, 2}, Pair(1), [2]int{1, 0}, true, HeUniform, rng)),
		must(NewBatchNorm2D("bn2", 3)),
		must(NewActivation("relu", ReLU)),
		must(NewMaxPool2D("maxpool", Pair(2), Pair(2), Pair(0))),
		must(NewAvgPool2D("avgpool", Pair(2), Pair(1), Pair(1))),
		NewFlatten("flatten"),
		must(NewDense("dense1", 3*5*4, 5, GlorotUniform, rng)),
		must(NewBatchNorm1D("bn1", 5)),
		must(NewActivation("tanh", Tanh)),
		must(NewDropout("drop", 0.25)),
		must(NewDense("dense2", 5, 4, GlorotUniform, rng)),
		must(NewActivation("sigmoid", Sigmoid)),
		must(NewActivation("softmax", Softmax)),
	}
	s, err := NewSequential([]int{1, 8, 7}, layers...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestArchitectureRoundTrip(t *testing.T) {
	s := everyLayerNet(t)
	data, err := s.ConfigJSON()
	if err != nil {
		t.Fatal(err)
	}
	var a Architecture
	if err := json.Unmarshal(data, &a); err != nil {
		t.Fatal(err)
	}
	back, err := FromArchitecture(a, rand.New(rand.NewPCG(9, 9)))
	if err != nil {
		t.Fatal(err)
	}
	again, err := back.ConfigJSON()
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(data) {
		t.Fatalf("architecture changed in a round trip:\n%s\n%s", data, again)
	}
	if !reflect.DeepEqual(back.LayerOutputShapes(), s.LayerOutputShapes()) {
		t.Errorf("output shapes %v, want %v", back.LayerOutputShapes(), s.LayerOutputShapes())
	}
	for i, p := range s.Params() {
		q := back.Params()[i]
		if p.Name != q.Name || !reflect.DeepEqual(p.Shape(), q.Shape()) || p.Trainable != q.Trainable {
			t.Errorf("param %d: %s %v %v, rebuilt %s %v %v", i, p.Name, p.Shape(), p.Trainable, q.Name, q.Shape(), q.Trainable)
		}
	}
	wantTypes := []string{"Conv2D", "BatchNorm2D", "ReLU", "MaxPool2D", "AvgPool2D", "Flatten", "Dense",
		"BatchNorm1D", "Tanh", "Dropout", "Dense", "Sigmoid", "Softmax"}
	for i, l := range back.Layers() {
		if got := TypeOf(l); got != wantTypes[i] {
			t.Errorf("layer %d type %q, want %q", i, got, wantTypes[i])
		}
	}
	// The rebuilt network has the same structure but fresh weights.
	if reflect.DeepEqual(s.Params()[0].Data(), back.Params()[0].Data()) {
		t.Error("rebuilt conv weights equal the original's: the seed had no effect")
	}
}

func TestFromArchitectureErrors(t *testing.T) {
	dense := func(in, out int) LayerSpec {
		return LayerSpec{Type: "Dense", Name: "d", Config: json.RawMessage(`{"inputs":` + itoa(in) + `,"outputs":` + itoa(out) + `}`)}
	}
	for _, tc := range []struct {
		name string
		a    Architecture
		want string
	}{
		{"unknown type", Architecture{InputShape: []int{4}, Layers: []LayerSpec{{Type: "Lambda", Name: "x"}}}, `unknown layer type "Lambda"`},
		{"unknown field", Architecture{InputShape: []int{4}, Layers: []LayerSpec{{Type: "Dense", Name: "d", Config: json.RawMessage(`{"inputs":4,"outputs":2,"code":"rm -rf"}`)}}}, `unknown field "code"`},
		{"no name", Architecture{InputShape: []int{4}, Layers: []LayerSpec{{Type: "ReLU"}}}, "has no name"},
		{"bad input", Architecture{InputShape: []int{0}}, "input shape"},
		{"huge dense", Architecture{InputShape: []int{1 << 20}, Layers: []LayerSpec{dense(1<<20, 1<<20)}}, "more than 268435456 parameters"},
		{"too many params in total", Architecture{InputShape: []int{1 << 13}, Layers: []LayerSpec{
			dense(1<<13, 1<<14), {Type: "Dense", Name: "d2", Config: json.RawMessage(`{"inputs":16384,"outputs":8192}`)}}}, "more than 268435456 parameters (at layer 2"},
		{"too many layers", Architecture{InputShape: []int{4}, Layers: make([]LayerSpec, MaxLayers+1)}, "more than 1024"},
		{"wrong size", Architecture{InputShape: []int{3}, Layers: []LayerSpec{dense(4, 2)}}, "wants 4 inputs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FromArchitecture(tc.a, rand.New(rand.NewPCG(1, 1)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// A layer defined outside the package trains but cannot be saved as an
// architecture; the error names it.
func TestArchitectureOfForeignLayer(t *testing.T) {
	s, err := NewSequential([]int{3}, &tap{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Architecture(); err == nil || !strings.Contains(err.Error(), "layer 1 (tap)") {
		t.Fatalf("error %v, want one naming layer 1 (tap)", err)
	}
	if got := TypeOf(&tap{}); got != "tap" {
		t.Errorf("TypeOf = %q, want the Go type name tap", got)
	}
}

func TestSequentialLayerNamesUnique(t *testing.T) {
	a, _ := NewDropout("drop", 0.5)
	b, _ := NewDropout("drop", 0.5)
	_, err := NewSequential([]int{4}, a, b)
	if err == nil || !strings.Contains(err.Error(), `layer name "drop" is used by layers 1 and 2`) {
		t.Fatalf("error %v, want one naming the duplicate", err)
	}
	if _, err := NewSequential([]int{4}, a, nil); err == nil || !strings.Contains(err.Error(), "layer 2 is nil") {
		t.Fatalf("nil layer: error %v", err)
	}
	if _, err := NewSequential([]int{4}, NewFlatten("")); err == nil || !strings.Contains(err.Error(), "has no name") {
		t.Fatalf("unnamed layer: error %v", err)
	}
}

func TestCompileNothingToTrain(t *testing.T) {
	relu, _ := NewActivation("relu", ReLU)
	s, err := NewSequential([]int{4}, relu)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Compile(s, Training, 2, MSE{})
	if err == nil || !strings.Contains(err.Error(), "no trainable parameters") {
		t.Fatalf("error %v, want a clear nothing-to-train error", err)
	}
	// Evaluation of such a model is fine.
	p, err := Compile(s, Evaluation, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	copy(p.Input(), []float32{-1, 2, -3, 4, 5, -6, 7, math.MaxFloat32})
	if err := p.Run(nil); err != nil {
		t.Fatal(err)
	}
	if got := p.Outputs(); got[0] != 0 || got[1] != 2 {
		t.Errorf("relu outputs %v", got)
	}
}

func TestBuilder(t *testing.T) {
	b := NewBuilder([]int{1, 8, 8}, rand.New(rand.NewPCG(1, 1)))
	b.Conv2D("conv", 4, 3, 1).BatchNorm("bn").ReLU("relu").MaxPool2D("pool", 2).AvgPool2D("avg", 2)
	b.Flatten("flat").Dropout("drop", 0.1).Dense("hidden", 5).BatchNorm("bn1").Activation("tanh", Tanh).Dense("out", 3)
	s, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	a, _ := s.Architecture()
	var types []string
	for _, l := range a.Layers {
		types = append(types, l.Type)
	}
	if got := strings.Join(types, " "); got != "Conv2D BatchNorm2D ReLU MaxPool2D AvgPool2D Flatten Dropout Dense BatchNorm1D Tanh Dense" {
		t.Errorf("types %s", got)
	}
	if fmt.Sprint(s.OutputShape()) != "[3]" || fmt.Sprint(s.LayerOutputShapes()[5]) != "[16]" {
		t.Errorf("shapes %v", s.LayerOutputShapes())
	}
	// The first error sticks and names the layer.
	_, err = NewBuilder([]int{1, 8, 8}, rand.New(rand.NewPCG(1, 1))).Dense("d", 3).ReLU("r").Build()
	if err == nil || !strings.Contains(err.Error(), `dense "d" wants a vector input, got shape [1 8 8] (add a Flatten)`) {
		t.Errorf("dense on images: %v", err)
	}
	_, err = NewBuilder([]int{1, 4, 4}, rand.New(rand.NewPCG(1, 1))).MaxPool2D("p", 8).Build()
	if err == nil || !strings.Contains(err.Error(), "layer 1 (p)") {
		t.Errorf("pool too large: %v", err)
	}
	if _, err := NewBuilder([]int{4}, nil).Dense("d", 2).Build(); err == nil {
		t.Error("nil source: no error")
	}
}
