package nn

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
)

// LayerSpec is a layer's type, name and configuration: enough to rebuild the
// layer (its weights aside), and what a summary shows. Type is the Keras /
// Paddle name of the layer: Dense, Conv2D, MaxPool2D, AvgPool2D,
// GlobalAveragePooling2D, Flatten, Dropout, BatchNorm1D, BatchNorm2D, ReLU,
// Tanh, Sigmoid, Softmax, and the merges Add and Concatenate.
type LayerSpec struct {
	Type   string          `json:"type"`
	Name   string          `json:"name"`
	Config json.RawMessage `json:"config,omitempty"`
}

// Describer is a layer that can describe itself as a LayerSpec. Every layer
// in this package is one; a Sequential whose layers all are can be saved as
// a self-describing model file.
type Describer interface {
	Spec() LayerSpec
}

// TypeOf returns a layer's type name: its Spec().Type, or the Go type name
// for a layer that does not describe itself.
func TypeOf(l Layer) string {
	if d, ok := l.(Describer); ok {
		return d.Spec().Type
	}
	t := fmt.Sprintf("%T", l)
	for i := len(t) - 1; i >= 0; i-- {
		if t[i] == '.' || t[i] == '*' {
			return t[i+1:]
		}
	}
	return t
}

// Architecture is a Sequential's input shape and layer list: the JSON a
// model file holds for a user-defined network.
type Architecture struct {
	InputShape []int       `json:"input_shape"`
	Layers     []LayerSpec `json:"layers"`
}

// Limits on an architecture read from a file, so that a small file cannot
// ask for a huge model before any tensor is checked.
const (
	// MaxLayers is the most layers an architecture may have.
	MaxLayers = 1024
	// MaxParams is the most parameter elements (float32) an architecture
	// may have in total: 1 GiB.
	MaxParams = 1 << 28
)

// SequentialKind names the architecture of any Sequential in model files.
const SequentialKind = "sequential"

// Kind returns "sequential": a Sequential is a model kind of its own, saved
// with its Architecture as config.
func (s *Sequential) Kind() string { return SequentialKind }

// ConfigJSON returns the Architecture as JSON, or an error naming the first
// layer that cannot describe itself.
func (s *Sequential) ConfigJSON() ([]byte, error) {
	a, err := s.Architecture()
	if err != nil {
		return nil, err
	}
	return json.Marshal(a)
}

// Architecture describes the network. It fails for a layer that is not a
// Describer (a layer type defined outside this package).
func (s *Sequential) Architecture() (Architecture, error) {
	a := Architecture{InputShape: append([]int(nil), s.input...)}
	for i, l := range s.layers {
		d, ok := l.(Describer)
		if !ok {
			return Architecture{}, fmt.Errorf("nn: layer %d (%s) of type %T cannot describe itself: only this package's layers can be saved as an architecture", i+1, l.Name(), l)
		}
		a.Layers = append(a.Layers, d.Spec())
	}
	return a, nil
}

// FromArchitecture rebuilds a Sequential from its description, drawing fresh
// weights from rng (a model file then overwrites them). Unknown layer types,
// unknown config fields, more than MaxLayers layers or MaxParams parameters
// are errors, found before any weight is allocated.
func FromArchitecture(a Architecture, rng *rand.Rand) (*Sequential, error) {
	if len(a.Layers) > MaxLayers {
		return nil, fmt.Errorf("nn: architecture has %d layers, more than %d", len(a.Layers), MaxLayers)
	}
	if _, err := shapeSize(a.InputShape); err != nil {
		return nil, fmt.Errorf("nn: architecture input shape: %w", err)
	}
	if rng == nil {
		return nil, fmt.Errorf("nn: architecture needs a random source for the initial weights")
	}
	if _, err := a.ParamCount(); err != nil {
		return nil, err
	}
	layers := make([]Layer, 0, len(a.Layers))
	for i, spec := range a.Layers {
		l, err := NewLayer(spec, rng)
		if err != nil {
			return nil, fmt.Errorf("nn: layer %d: %w", i+1, err)
		}
		layers = append(layers, l)
	}
	return NewSequential(a.InputShape, layers...)
}

// ParamCount returns the number of parameter values FromArchitecture
// allocates for a, computed from the specs alone, or an error for more than
// MaxLayers layers, MaxParams parameters or a spec it cannot read.
func (a Architecture) ParamCount() (int, error) {
	if len(a.Layers) > MaxLayers {
		return 0, fmt.Errorf("nn: architecture has %d layers, more than %d", len(a.Layers), MaxLayers)
	}
	total := 0
	for i, spec := range a.Layers {
		n, err := spec.paramCount()
		if err != nil {
			return 0, fmt.Errorf("nn: layer %d (%s): %w", i+1, spec.Name, err)
		}
		if total += n; total > MaxParams {
			return 0, fmt.Errorf("nn: architecture has more than %d parameters (at layer %d, %s)", MaxParams, i+1, spec.Name)
		}
	}
	return total, nil
}

// Layer configurations as they appear in a LayerSpec.
type (
	// DenseConfig configures a Dense layer.
	DenseConfig struct {
		Inputs  int `json:"inputs"`
		Outputs int `json:"outputs"`
		// Init names the weight initializer (InitializerByName) used when
		// the layer is built from its spec; default glorot_uniform.
		Init string `json:"init,omitempty"`
	}
	// Conv2DConfig configures a Conv2D layer.
	Conv2DConfig struct {
		InChannels  int    `json:"in_channels"`
		OutChannels int    `json:"out_channels"`
		Kernel      [2]int `json:"kernel"`
		Stride      [2]int `json:"stride"`
		Padding     [2]int `json:"padding"`
		Bias        bool   `json:"bias"`
		Init        string `json:"init,omitempty"`
	}
	// Pool2DConfig configures a MaxPool2D or AvgPool2D layer.
	Pool2DConfig struct {
		Kernel  [2]int `json:"kernel"`
		Stride  [2]int `json:"stride"`
		Padding [2]int `json:"padding"`
	}
	// DropoutConfig configures a Dropout layer.
	DropoutConfig struct {
		Rate float64 `json:"rate"`
	}
	// BatchNormConfig configures a BatchNorm1D or BatchNorm2D layer.
	BatchNormConfig struct {
		Size int `json:"size"`
	}
	// ConcatenateConfig configures a Concatenate merge: the per-sample
	// axis, negative counting from the last.
	ConcatenateConfig struct {
		Axis int `json:"axis"`
	}
)

func specOf(typ, name string, config any) LayerSpec {
	s := LayerSpec{Type: typ, Name: name}
	if config != nil {
		s.Config, _ = json.Marshal(config) // plain structs: cannot fail
	}
	return s
}

func (d *Dense) Spec() LayerSpec {
	return specOf("Dense", d.name, DenseConfig{Inputs: d.in, Outputs: d.out, Init: d.initName})
}

func (c *Conv2D) Spec() LayerSpec {
	return specOf("Conv2D", c.name, Conv2DConfig{InChannels: c.in, OutChannels: c.out,
		Kernel: c.win.kernel, Stride: c.win.stride, Padding: c.win.padding, Bias: c.Bias != nil, Init: c.initName})
}

func (p *Pool2D) Spec() LayerSpec {
	typ := "MaxPool2D"
	if p.kind == AvgPool {
		typ = "AvgPool2D"
	}
	return specOf(typ, p.name, Pool2DConfig{Kernel: p.win.kernel, Stride: p.win.stride, Padding: p.win.padding})
}

func (f *Flatten) Spec() LayerSpec { return specOf("Flatten", f.name, nil) }

func (a *Add) Spec() LayerSpec { return specOf("Add", a.name, nil) }

func (c *Concatenate) Spec() LayerSpec {
	return specOf("Concatenate", c.name, ConcatenateConfig{Axis: c.axis})
}

func (p *GlobalAvgPool2D) Spec() LayerSpec { return specOf("GlobalAveragePooling2D", p.name, nil) }

func (d *Dropout) Spec() LayerSpec { return specOf("Dropout", d.name, DropoutConfig{Rate: d.rate}) }

func (b *BatchNorm) Spec() LayerSpec {
	typ := "BatchNorm1D"
	if b.spatial {
		typ = "BatchNorm2D"
	}
	return specOf(typ, b.name, BatchNormConfig{Size: b.size})
}

// activationTypes pairs each activation kind with its layer type name.
func activationTypes() [4][2]string {
	return [4][2]string{{ReLU, "ReLU"}, {Tanh, "Tanh"}, {Sigmoid, "Sigmoid"}, {Softmax, "Softmax"}}
}

func (a *Activation) Spec() LayerSpec {
	for _, t := range activationTypes() {
		if t[0] == a.kind {
			return specOf(t[1], a.name, nil)
		}
	}
	return specOf(a.kind, a.name, nil)
}

// NewLayer builds the layer a spec describes, drawing weights from rng.
// Only this package's layer types are known: nothing in a spec can name
// code to run.
func NewLayer(spec LayerSpec, rng *rand.Rand) (Layer, error) {
	if spec.Name == "" {
		return nil, fmt.Errorf("%s layer has no name", spec.Type)
	}
	for _, t := range activationTypes() {
		if t[1] == spec.Type {
			if err := decodeConfig(spec, &struct{}{}); err != nil {
				return nil, err
			}
			return NewActivation(spec.Name, t[0])
		}
	}
	switch spec.Type {
	case "Dense":
		var c DenseConfig
		if err := decodeConfig(spec, &c); err != nil {
			return nil, err
		}
		init, err := initByName(spec, c.Init)
		if err != nil {
			return nil, err
		}
		d, err := NewDense(spec.Name, c.Inputs, c.Outputs, init, rng)
		if err != nil {
			return nil, err
		}
		d.initName = c.Init
		return d, nil
	case "Conv2D":
		var c Conv2DConfig
		if err := decodeConfig(spec, &c); err != nil {
			return nil, err
		}
		init, err := initByName(spec, c.Init)
		if err != nil {
			return nil, err
		}
		l, err := NewConv2D(spec.Name, c.InChannels, c.OutChannels, c.Kernel, c.Stride, c.Padding, c.Bias, init, rng)
		if err != nil {
			return nil, err
		}
		l.initName = c.Init
		return l, nil
	case "MaxPool2D", "AvgPool2D":
		var c Pool2DConfig
		if err := decodeConfig(spec, &c); err != nil {
			return nil, err
		}
		if spec.Type == "MaxPool2D" {
			return NewMaxPool2D(spec.Name, c.Kernel, c.Stride, c.Padding)
		}
		return NewAvgPool2D(spec.Name, c.Kernel, c.Stride, c.Padding)
	case "Flatten", "Add", "GlobalAveragePooling2D":
		if err := decodeConfig(spec, &struct{}{}); err != nil {
			return nil, err
		}
		switch spec.Type {
		case "Add":
			return NewAdd(spec.Name), nil
		case "GlobalAveragePooling2D":
			return NewGlobalAvgPool2D(spec.Name), nil
		}
		return NewFlatten(spec.Name), nil
	case "Concatenate":
		var c ConcatenateConfig
		if err := decodeConfig(spec, &c); err != nil {
			return nil, err
		}
		return NewConcatenate(spec.Name, c.Axis), nil
	case "Dropout":
		var c DropoutConfig
		if err := decodeConfig(spec, &c); err != nil {
			return nil, err
		}
		return NewDropout(spec.Name, c.Rate)
	case "BatchNorm1D", "BatchNorm2D":
		var c BatchNormConfig
		if err := decodeConfig(spec, &c); err != nil {
			return nil, err
		}
		if spec.Type == "BatchNorm1D" {
			return NewBatchNorm1D(spec.Name, c.Size)
		}
		return NewBatchNorm2D(spec.Name, c.Size)
	}
	return nil, fmt.Errorf("%s: unknown layer type %q (known: Dense, Conv2D, MaxPool2D, AvgPool2D, GlobalAveragePooling2D, Flatten, Dropout, BatchNorm1D, BatchNorm2D, ReLU, Tanh, Sigmoid, Softmax, Add, Concatenate)", spec.Name, spec.Type)
}

// paramCount is the number of parameter elements the spec's layer will
// allocate, computed without allocating.
func (spec LayerSpec) paramCount() (int, error) {
	mul := func(dims ...int) (int, error) {
		n := 1
		for _, d := range dims {
			if d <= 0 {
				return 0, fmt.Errorf("%s has a non-positive size in %v", spec.Type, dims)
			}
			if n > MaxParams/d {
				return 0, fmt.Errorf("%s has more than %d parameters", spec.Type, MaxParams)
			}
			n *= d
		}
		return n, nil
	}
	switch spec.Type {
	case "Dense":
		var c DenseConfig
		if err := decodeConfig(spec, &c); err != nil {
			return 0, err
		}
		w, err := mul(c.Inputs, c.Outputs)
		return w + c.Outputs, err
	case "Conv2D":
		var c Conv2DConfig
		if err := decodeConfig(spec, &c); err != nil {
			return 0, err
		}
		w, err := mul(c.OutChannels, c.InChannels, c.Kernel[0], c.Kernel[1])
		if c.Bias {
			w += c.OutChannels
		}
		return w, err
	case "BatchNorm1D", "BatchNorm2D":
		var c BatchNormConfig
		if err := decodeConfig(spec, &c); err != nil {
			return 0, err
		}
		n, err := mul(c.Size)
		return 4 * n, err
	}
	return 0, nil
}

func initByName(spec LayerSpec, name string) (Initializer, error) {
	if name == "" {
		return GlorotUniform, nil
	}
	init, err := InitializerByName(name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec.Name, err)
	}
	return init, nil
}

// decodeConfig decodes a spec's config strictly: unknown fields and trailing
// data are errors. An absent config decodes as the zero value.
func decodeConfig(spec LayerSpec, v any) error {
	if len(spec.Config) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(spec.Config))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s (%s) config: %v", spec.Name, spec.Type, err)
	}
	if dec.More() {
		return fmt.Errorf("%s (%s) config: trailing data", spec.Name, spec.Type)
	}
	return nil
}
