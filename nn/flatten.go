package nn

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Flatten turns each sample into a vector: [C, H, W] becomes [C*H*W], in
// row-major order (as PyTorch's nn.Flatten does for NCHW).
type Flatten struct{ name string }

// NewFlatten returns a flatten layer.
func NewFlatten(name string) *Flatten { return &Flatten{name: name} }

func (f *Flatten) Name() string     { return f.name }
func (f *Flatten) Params() []*Param { return nil }

func (f *Flatten) OutputShape(in []int) ([]int, error) {
	n, err := shapeSize(in)
	if err != nil {
		return nil, fmt.Errorf("flatten: %w", err)
	}
	return []int{n}, nil
}

func (f *Flatten) Forward(_ *Graph, x *G.Node) (y *G.Node, err error) {
	s := x.Shape()
	out, err := f.OutputShape(s[1:])
	if err != nil {
		return nil, err
	}
	if len(s) == 2 {
		return x, nil
	}
	defer catch(&err, "flatten")
	return G.Reshape(x, tensor.Shape{s[0], out[0]})
}
