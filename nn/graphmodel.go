package nn

import (
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
)

// GraphModel is a model whose layers form a directed acyclic graph, the
// way a Keras functional model's do: named inputs, layer applications,
// merges (Add, Concatenate) and one output. Residual networks are graph
// models; a Sequential is the special case of one path.
//
// Layers are kept in a topological order (each after the layers it reads),
// which is the order of Layers, LayerOutputShapes, LayerInputs and Params.
// Build one with a GraphBuilder, or from its GraphArchitecture.
type GraphModel struct {
	name    string
	inputs  []graphInput
	layers  []Layer
	args    [][]int // for each layer, its arguments: -1-i is input i, j >= 0 layer j
	shapes  [][]int
	output  int            // the layer whose output is the model's
	nameIdx map[string]int // while building: a name to its arg index
}

type graphInput struct {
	name  string
	shape []int
}

// GraphKind names the architecture of any GraphModel in model files.
const GraphKind = "graph"

// Kind returns "graph": a GraphModel is saved with its GraphArchitecture as
// config.
func (m *GraphModel) Kind() string { return GraphKind }

// Name is the model's name (say "resnet20"); it may be empty.
func (m *GraphModel) Name() string { return m.name }

// Layers returns the layers in topological order.
func (m *GraphModel) Layers() []Layer { return m.layers }

// LayerOutputShapes returns each layer's per-sample output shape.
func (m *GraphModel) LayerOutputShapes() [][]int { return m.shapes }

// LayerInputs returns, for each layer, the names of what it reads: input
// names or layer names (the "connected to" column of a summary).
func (m *GraphModel) LayerInputs() [][]string {
	out := make([][]string, len(m.layers))
	for i, args := range m.args {
		for _, a := range args {
			out[i] = append(out[i], m.argName(a))
		}
	}
	return out
}

func (m *GraphModel) argName(a int) string {
	if a < 0 {
		return m.inputs[-1-a].name
	}
	return m.layers[a].Name()
}

// InputNames returns the names of the model's inputs, in order.
func (m *GraphModel) InputNames() []string {
	names := make([]string, len(m.inputs))
	for i, in := range m.inputs {
		names[i] = in.name
	}
	return names
}

// InputShape returns the per-sample shape of the model's input.
func (m *GraphModel) InputShape() []int { return m.inputs[0].shape }

// OutputShape returns the per-sample output shape.
func (m *GraphModel) OutputShape() []int { return m.shapes[m.output] }

// OutputName is the name of the layer whose output is the model's.
func (m *GraphModel) OutputName() string { return m.layers[m.output].Name() }

// Params returns every layer's parameters in layer order.
func (m *GraphModel) Params() []*Param {
	var ps []*Param
	for _, l := range m.layers {
		ps = append(ps, l.Params()...)
	}
	return ps
}

// Forward builds every layer in topological order, each over the nodes of
// what it reads.
func (m *GraphModel) Forward(g *Graph, x *G.Node) (*G.Node, error) {
	if len(m.inputs) != 1 {
		return nil, fmt.Errorf("nn: graph model has %d inputs; programs feed one", len(m.inputs))
	}
	nodes := make([]*G.Node, len(m.layers))
	arg := func(a int) *G.Node {
		if a < 0 {
			return x
		}
		return nodes[a]
	}
	for i, l := range m.layers {
		var err error
		if mg, ok := l.(Merger); ok {
			xs := make([]*G.Node, len(m.args[i]))
			for j, a := range m.args[i] {
				xs[j] = arg(a)
			}
			nodes[i], err = mg.Merge(g, xs)
		} else {
			nodes[i], err = l.Forward(g, arg(m.args[i][0]))
		}
		if err != nil {
			return nil, fmt.Errorf("nn: %s: %w", l.Name(), err)
		}
	}
	return nodes[m.output], nil
}

// Ref is the output of an input or a layer in a graph being built by a
// GraphBuilder: what later layers are applied to.
type Ref struct {
	b     *GraphBuilder
	index int // -1-i for input i, j >= 0 for layer j
	shape []int
}

// Shape is the per-sample shape of the output.
func (r Ref) Shape() []int { return append([]int(nil), r.shape...) }

// GraphBuilder builds a GraphModel in the manner of Keras' functional API:
// declare an input, apply layers to it and to one another's outputs, merge
// paths with Add or Concatenate, and Build the model from its output. Each
// layer is sized from what it is applied to, so only what it adds is given.
// The first error sticks: later calls return a zero Ref and do nothing, and
// Build returns the error.
//
//	b := nn.NewGraphBuilder(rng)
//	x := b.Input("image", 1, 28, 28)
//	y := b.Conv2D("conv", x, 16, 3, 1, 1, false)
//	y = b.ReLU("relu", b.BatchNorm("bn", y))
//	y = b.Add("add", y, b.Conv2D("proj", x, 16, 1, 1, 0, false))
//	out := b.Dense("fc", b.GlobalAvgPool2D("pool", y), 10)
//	model, err := b.Build(out)
type GraphBuilder struct {
	// Init initialises the weights of Dense and Conv2D layers; default
	// GlorotUniform (Keras' default).
	Init Initializer
	// Name is the built model's name; it may be empty.
	Name string

	rng *rand.Rand
	m   *GraphModel
	err error
}

// NewGraphBuilder starts a graph model, drawing initial weights from rng.
func NewGraphBuilder(rng *rand.Rand) *GraphBuilder {
	b := &GraphBuilder{Init: GlorotUniform, rng: rng, m: &GraphModel{nameIdx: map[string]int{}}}
	if rng == nil {
		b.err = fmt.Errorf("nn: graph builder needs a random source for the initial weights")
	}
	return b
}

// Err returns the first error of any call so far.
func (b *GraphBuilder) Err() error { return b.err }

// Input declares an input of the given per-sample shape.
func (b *GraphBuilder) Input(name string, shape ...int) Ref {
	if b.err != nil {
		return Ref{}
	}
	if err := b.claim(name, "input"); err != nil {
		b.err = err
		return Ref{}
	}
	if _, err := shapeSize(shape); err != nil {
		b.err = fmt.Errorf("nn: input %q shape: %w", name, err)
		return Ref{}
	}
	b.m.inputs = append(b.m.inputs, graphInput{name: name, shape: append([]int(nil), shape...)})
	b.m.nameIdx[name] = -len(b.m.inputs)
	return Ref{b: b, index: -len(b.m.inputs), shape: shape}
}

// claim reserves a name for an input or a layer.
func (b *GraphBuilder) claim(name, what string) error {
	if name == "" {
		return fmt.Errorf("nn: %s %d has no name", what, len(b.m.inputs)+len(b.m.layers)+1)
	}
	if _, dup := b.m.nameIdx[name]; dup {
		return fmt.Errorf("nn: name %q is used twice; inputs and layers need unique names", name)
	}
	return nil
}

// Apply applies a layer built elsewhere to one Ref, or a Merger (Add,
// Concatenate) to several.
func (b *GraphBuilder) Apply(l Layer, in ...Ref) Ref { return b.applyNew(l, nil, in...) }

// applyNew applies the result of a layer constructor: its error, if any,
// sticks.
func (b *GraphBuilder) applyNew(l Layer, err error, in ...Ref) Ref {
	if b.err != nil {
		return Ref{}
	}
	if err != nil {
		b.err = err
		return Ref{}
	}
	if l == nil || isNilPointer(l) {
		b.err = fmt.Errorf("nn: layer %d is nil", len(b.m.layers)+1)
		return Ref{}
	}
	if err := b.claim(l.Name(), "layer"); err != nil {
		b.err = err
		return Ref{}
	}
	args := make([]int, len(in))
	shapes := make([][]int, len(in))
	for i, r := range in {
		if r.b != b {
			b.err = fmt.Errorf("nn: layer %q is applied to the output of another builder, or of a failed call", l.Name())
			return Ref{}
		}
		args[i], shapes[i] = r.index, r.shape
	}
	out, err := layerShape(l, shapes)
	if err != nil {
		b.err = fmt.Errorf("nn: layer %d (%s): %w", len(b.m.layers)+1, l.Name(), err)
		return Ref{}
	}
	b.m.nameIdx[l.Name()] = len(b.m.layers)
	b.m.layers = append(b.m.layers, l)
	b.m.args = append(b.m.args, args)
	b.m.shapes = append(b.m.shapes, out)
	return Ref{b: b, index: len(b.m.layers) - 1, shape: out}
}

// layerShape is the output shape of l over inputs of the given shapes: a
// Merger takes them all, any other layer exactly one.
func layerShape(l Layer, in [][]int) ([]int, error) {
	if mg, ok := l.(Merger); ok {
		return mg.MergeShape(in)
	}
	if len(in) != 1 {
		return nil, fmt.Errorf("%s takes 1 input, got %d", TypeOf(l), len(in))
	}
	return l.OutputShape(in[0])
}

// need checks that x is an output of this builder of the given rank (0:
// any).
func (b *GraphBuilder) need(x Ref, name, what string, rank int) bool {
	if b.err != nil {
		return false
	}
	if x.b != b {
		b.err = fmt.Errorf("nn: %s %q is applied to the output of another builder, or of a failed call", what, name)
		return false
	}
	if rank > 0 && len(x.shape) != rank {
		want := "a vector"
		if rank == 3 {
			want = "a [channels, height, width]"
		}
		b.err = fmt.Errorf("nn: %s %q wants %s input, got shape %v", what, name, want, x.shape)
		return false
	}
	return true
}

// Dense applies a fully connected layer with the given number of outputs
// to a vector.
func (b *GraphBuilder) Dense(name string, x Ref, outputs int) Ref {
	if !b.need(x, name, "dense", 1) {
		return Ref{}
	}
	l, err := NewDense(name, x.shape[0], outputs, b.Init, b.rng)
	return b.applyNew(l, err, x)
}

// Conv2D applies a square convolution with the given output channels,
// kernel, stride and zero padding, with or without a bias.
func (b *GraphBuilder) Conv2D(name string, x Ref, channels, kernel, stride, padding int, bias bool) Ref {
	if !b.need(x, name, "conv2d", 3) {
		return Ref{}
	}
	l, err := NewConv2D(name, x.shape[0], channels, Pair(kernel), Pair(stride), Pair(padding), bias, b.Init, b.rng)
	return b.applyNew(l, err, x)
}

// BatchNorm normalises the channels of images or the features of vectors,
// whichever x is.
func (b *GraphBuilder) BatchNorm(name string, x Ref) Ref {
	if !b.need(x, name, "batchnorm", 0) {
		return Ref{}
	}
	if len(x.shape) == 3 {
		l, err := NewBatchNorm2D(name, x.shape[0])
		return b.applyNew(l, err, x)
	}
	l, err := NewBatchNorm1D(name, x.shape[0])
	return b.applyNew(l, err, x)
}

// Activation applies ReLU, Tanh, Sigmoid or Softmax.
func (b *GraphBuilder) Activation(name, kind string, x Ref) Ref {
	l, err := NewActivation(name, kind)
	return b.applyNew(l, err, x)
}

// ReLU applies a ReLU.
func (b *GraphBuilder) ReLU(name string, x Ref) Ref { return b.Activation(name, ReLU, x) }

// MaxPool2D applies max pooling over size x size windows with stride size.
func (b *GraphBuilder) MaxPool2D(name string, x Ref, size int) Ref {
	l, err := NewMaxPool2D(name, Pair(size), Pair(size), Pair(0))
	return b.applyNew(l, err, x)
}

// AvgPool2D applies average pooling over size x size windows with stride
// size.
func (b *GraphBuilder) AvgPool2D(name string, x Ref, size int) Ref {
	l, err := NewAvgPool2D(name, Pair(size), Pair(size), Pair(0))
	return b.applyNew(l, err, x)
}

// GlobalAvgPool2D averages each channel of an image into a vector.
func (b *GraphBuilder) GlobalAvgPool2D(name string, x Ref) Ref {
	return b.Apply(NewGlobalAvgPool2D(name), x)
}

// Dropout applies dropout at the given rate.
func (b *GraphBuilder) Dropout(name string, x Ref, rate float64) Ref {
	l, err := NewDropout(name, rate)
	return b.applyNew(l, err, x)
}

// Flatten turns each sample into a vector.
func (b *GraphBuilder) Flatten(name string, x Ref) Ref { return b.Apply(NewFlatten(name), x) }

// Add sums two or more outputs of the same shape.
func (b *GraphBuilder) Add(name string, xs ...Ref) Ref { return b.Apply(NewAdd(name), xs...) }

// Concatenate joins two or more outputs along a per-sample axis (0: the
// channels of images, the features of vectors; negative counts from the
// last).
func (b *GraphBuilder) Concatenate(name string, axis int, xs ...Ref) Ref {
	return b.Apply(NewConcatenate(name, axis), xs...)
}

// Build returns the model whose output is out, or the first error of any
// call. Every layer must lead to the output, and the model may have one
// input (several are for a later version of programs).
func (b *GraphBuilder) Build(out Ref) (*GraphModel, error) {
	if b.err != nil {
		return nil, b.err
	}
	if out.b != b || out.index < 0 {
		return nil, fmt.Errorf("nn: build: the output must be a layer's output from this builder")
	}
	m := b.m
	m.name, m.output = b.Name, out.index
	if err := m.check(); err != nil {
		return nil, err
	}
	b.m = &GraphModel{nameIdx: map[string]int{}} // the builder cannot change a built model
	b.err = fmt.Errorf("nn: graph builder already built its model")
	return m, nil
}

// check verifies what Build and FromGraphArchitecture both need: one
// input, every input and layer on a path to the output, unique parameter
// names.
func (m *GraphModel) check() error {
	switch len(m.inputs) {
	case 0:
		return fmt.Errorf("nn: graph model has no input")
	case 1:
	default:
		return fmt.Errorf("nn: graph model has %d inputs (%v); this version compiles models of one input", len(m.inputs), m.InputNames())
	}
	used := make([]bool, len(m.layers))
	usedInput := make([]bool, len(m.inputs))
	used[m.output] = true
	for i := m.output; i >= 0; i-- { // arguments always come before their users
		if !used[i] {
			continue
		}
		for _, a := range m.args[i] {
			if a < 0 {
				usedInput[-1-a] = true
			} else {
				used[a] = true
			}
		}
	}
	for i, u := range used {
		if !u {
			return fmt.Errorf("nn: layer %q does not lead to the output %q", m.layers[i].Name(), m.layers[m.output].Name())
		}
	}
	for i, u := range usedInput {
		if !u {
			return fmt.Errorf("nn: input %q does not lead to the output %q", m.inputs[i].name, m.layers[m.output].Name())
		}
	}
	if len(m.shapes[m.output]) != 1 {
		return fmt.Errorf("nn: graph model output %q must be a vector, got per-sample shape %v (add a Flatten or a global pooling)", m.layers[m.output].Name(), m.shapes[m.output])
	}
	return CheckUniqueNames(m.Params())
}
