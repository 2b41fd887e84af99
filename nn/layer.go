package nn

import (
	"fmt"

	G "gorgonia.org/gorgonia"
)

// Layer is one stage of a model. Shapes exclude the batch dimension.
type Layer interface {
	// Name identifies the layer; its parameters are named "<name>/<what>".
	Name() string
	// Params returns the layer's parameters in a stable order.
	Params() []*Param
	// OutputShape returns the per-sample output shape for a per-sample input
	// shape, or an error if the layer cannot take that input.
	OutputShape(in []int) ([]int, error)
	// Forward builds the layer's nodes into g. x has shape [batch, in...].
	Forward(g *Graph, x *G.Node) (*G.Node, error)
}

// Model is anything Program can compile: a stack of layers with a fixed
// per-sample input shape, producing one row of outputs per sample.
type Model interface {
	InputShape() []int
	OutputShape() []int
	Params() []*Param
	Forward(g *Graph, x *G.Node) (*G.Node, error)
}

// Sequential applies layers in order.
type Sequential struct {
	layers []Layer
	input  []int
	output []int
	shapes [][]int
}

// NewSequential checks that each layer accepts its predecessor's output and
// that layer names and parameter names are unique: layers with one name
// would share per-run inputs such as a dropout mask.
func NewSequential(input []int, layers ...Layer) (*Sequential, error) {
	if _, err := shapeSize(input); err != nil {
		return nil, fmt.Errorf("nn: input shape: %w", err)
	}
	s := &Sequential{layers: layers, input: append([]int(nil), input...)}
	shape := s.input
	names := make(map[string]int, len(layers))
	for i, l := range layers {
		if l == nil {
			return nil, fmt.Errorf("nn: layer %d is nil", i+1)
		}
		if l.Name() == "" {
			return nil, fmt.Errorf("nn: layer %d (%s) has no name", i+1, TypeOf(l))
		}
		if j, dup := names[l.Name()]; dup {
			return nil, fmt.Errorf("nn: layer name %q is used by layers %d and %d; names must be unique", l.Name(), j, i+1)
		}
		names[l.Name()] = i + 1
		out, err := l.OutputShape(shape)
		if err != nil {
			return nil, fmt.Errorf("nn: layer %d (%s): %w", i+1, l.Name(), err)
		}
		s.shapes = append(s.shapes, out)
		shape = out
	}
	s.output = shape
	if err := CheckUniqueNames(s.Params()); err != nil {
		return nil, err
	}
	return s, nil
}

// Layers returns the layers in order.
func (s *Sequential) Layers() []Layer { return s.layers }

// LayerOutputShapes returns each layer's per-sample output shape.
func (s *Sequential) LayerOutputShapes() [][]int { return s.shapes }

// InputShape returns the per-sample input shape.
func (s *Sequential) InputShape() []int { return s.input }

// OutputShape returns the per-sample output shape.
func (s *Sequential) OutputShape() []int { return s.output }

// Params returns every layer's parameters in layer order.
func (s *Sequential) Params() []*Param {
	var ps []*Param
	for _, l := range s.layers {
		ps = append(ps, l.Params()...)
	}
	return ps
}

// Forward builds every layer in order.
func (s *Sequential) Forward(g *Graph, x *G.Node) (*G.Node, error) {
	var err error
	for _, l := range s.layers {
		if x, err = l.Forward(g, x); err != nil {
			return nil, fmt.Errorf("nn: %s: %w", l.Name(), err)
		}
	}
	return x, nil
}
