package nn

import (
	"fmt"
	"slices"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Merger is a layer that combines several inputs into one output: Add and
// Concatenate. It is still a Layer, so that it has a name and a place in
// a model's layer list, but it only works in a graph model
// (GraphBuilder); as a layer of a Sequential its OutputShape says so.
type Merger interface {
	Layer
	// MergeShape returns the per-sample output shape for the per-sample
	// shapes of the inputs, or an error if they cannot be merged.
	MergeShape(in [][]int) ([]int, error)
	// Merge builds the layer's nodes into g. Each x has shape [batch, in...].
	Merge(g *Graph, xs []*G.Node) (*G.Node, error)
}

// Add sums its inputs element by element, as Keras' layers.Add and
// torchvision's `out += identity` do: every input has the same shape.
type Add struct{ name string }

// NewAdd returns an element-wise sum of two or more inputs.
func NewAdd(name string) *Add { return &Add{name: name} }

func (a *Add) Name() string     { return a.name }
func (a *Add) Params() []*Param { return nil }

// OutputShape fails: an Add needs two or more inputs.
func (a *Add) OutputShape([]int) ([]int, error) { return nil, errSingleInput("Add") }

// Forward fails: an Add needs two or more inputs.
func (a *Add) Forward(*Graph, *G.Node) (*G.Node, error) { return nil, errSingleInput("Add") }

func (a *Add) MergeShape(in [][]int) ([]int, error) {
	if len(in) < 2 {
		return nil, fmt.Errorf("add wants 2 or more inputs, got %d", len(in))
	}
	for i, s := range in[1:] {
		if !slices.Equal(s, in[0]) {
			return nil, fmt.Errorf("add: input 1 has shape %v but input %d has shape %v; every input must have the same shape", in[0], i+2, s)
		}
	}
	return append([]int(nil), in[0]...), nil
}

func (a *Add) Merge(_ *Graph, xs []*G.Node) (y *G.Node, err error) {
	if _, err := a.MergeShape(perSample(xs)); err != nil {
		return nil, err
	}
	defer catch(&err, "add")
	y = xs[0]
	for _, x := range xs[1:] {
		if y, err = G.Add(y, x); err != nil {
			return nil, err
		}
	}
	return y, nil
}

// Concatenate joins its inputs along one per-sample axis, as Keras'
// layers.Concatenate and torch.cat do. Axis counts per-sample dimensions
// (the batch excluded) and may be negative, counting from the last: axis 0
// of [C, H, W] images is the channels (torch.cat(dim=1) on NCHW), axis 0 of
// vectors their features.
type Concatenate struct {
	name string
	axis int
}

// NewConcatenate returns a concatenation of two or more inputs along axis.
func NewConcatenate(name string, axis int) *Concatenate {
	return &Concatenate{name: name, axis: axis}
}

func (c *Concatenate) Name() string     { return c.name }
func (c *Concatenate) Params() []*Param { return nil }

// Axis is the per-sample axis the inputs are joined along, as given.
func (c *Concatenate) Axis() int { return c.axis }

// OutputShape fails: a Concatenate needs two or more inputs.
func (c *Concatenate) OutputShape([]int) ([]int, error) { return nil, errSingleInput("Concatenate") }

// Forward fails: a Concatenate needs two or more inputs.
func (c *Concatenate) Forward(*Graph, *G.Node) (*G.Node, error) {
	return nil, errSingleInput("Concatenate")
}

// resolvedAxis is the per-sample axis in [0, rank).
func (c *Concatenate) resolvedAxis(rank int) (int, error) {
	axis := c.axis
	if axis < 0 {
		axis += rank
	}
	if axis < 0 || axis >= rank {
		return 0, fmt.Errorf("concatenate: axis %d is out of range for inputs of rank %d", c.axis, rank)
	}
	return axis, nil
}

func (c *Concatenate) MergeShape(in [][]int) ([]int, error) {
	if len(in) < 2 {
		return nil, fmt.Errorf("concatenate wants 2 or more inputs, got %d", len(in))
	}
	axis, err := c.resolvedAxis(len(in[0]))
	if err != nil {
		return nil, err
	}
	out := append([]int(nil), in[0]...)
	for i, s := range in[1:] {
		if len(s) != len(in[0]) {
			return nil, fmt.Errorf("concatenate: input 1 has shape %v but input %d has shape %v; ranks differ", in[0], i+2, s)
		}
		for d := range s {
			if d != axis && s[d] != in[0][d] {
				return nil, fmt.Errorf("concatenate along axis %d: input 1 has shape %v but input %d has shape %v; all but axis %d must agree", axis, in[0], i+2, s, axis)
			}
		}
		if out[axis] > maxElements-s[axis] {
			return nil, fmt.Errorf("concatenate: the output is too large")
		}
		out[axis] += s[axis]
	}
	if _, err := shapeSize(out); err != nil {
		return nil, fmt.Errorf("concatenate: %w", err)
	}
	return out, nil
}

func (c *Concatenate) Merge(_ *Graph, xs []*G.Node) (y *G.Node, err error) {
	in := perSample(xs)
	if _, err := c.MergeShape(in); err != nil {
		return nil, err
	}
	axis, _ := c.resolvedAxis(len(in[0]))
	defer catch(&err, "concatenate")
	return G.Concat(axis+1, xs...)
}

// GlobalAvgPool2D averages each channel of [C, H, W] images over all its
// positions, giving a [C] vector (Keras' GlobalAveragePooling2D, PyTorch's
// AdaptiveAvgPool2d(1) followed by a flatten).
type GlobalAvgPool2D struct{ name string }

// NewGlobalAvgPool2D returns a global average pooling layer.
func NewGlobalAvgPool2D(name string) *GlobalAvgPool2D { return &GlobalAvgPool2D{name: name} }

func (p *GlobalAvgPool2D) Name() string     { return p.name }
func (p *GlobalAvgPool2D) Params() []*Param { return nil }

func (p *GlobalAvgPool2D) OutputShape(in []int) ([]int, error) {
	c, _, _, err := imageShape(in)
	if err != nil {
		return nil, fmt.Errorf("global average pooling %w", err)
	}
	return []int{c}, nil
}

func (p *GlobalAvgPool2D) Forward(_ *Graph, x *G.Node) (y *G.Node, err error) {
	s := x.Shape()
	if _, err := p.OutputShape(s[1:]); err != nil {
		return nil, err
	}
	defer catch(&err, "globalavgpool2d")
	// One window over the whole plane: the average-pooling op's sums and
	// gradient (pool.go), then [B, C, 1, 1] -> [B, C].
	win := window{kernel: [2]int{s[2], s[3]}, stride: [2]int{s[2], s[3]}}
	op := &avgPoolOp{win: win, in: [4]int{s[0], s[1], s[2], s[3]}, out: [2]int{1, 1}}
	pooled, err := G.ApplyOp(op, x)
	if err != nil {
		return nil, err
	}
	return G.Reshape(pooled, tensor.Shape{s[0], s[1]})
}

func errSingleInput(typ string) error {
	return fmt.Errorf("%s merges several inputs: use it in a graph model (nn.GraphBuilder), not in a Sequential", typ)
}

// perSample returns the per-sample shapes of batched nodes.
func perSample(xs []*G.Node) [][]int {
	in := make([][]int, len(xs))
	for i, x := range xs {
		in[i] = []int(x.Shape()[1:])
	}
	return in
}
