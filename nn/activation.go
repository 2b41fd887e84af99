package nn

import (
	"fmt"

	G "gorgonia.org/gorgonia"
)

// Activation is a parameter-free element-wise layer.
type Activation struct {
	kind string
	name string
}

// Activation kinds accepted by NewActivation.
const (
	ReLU    = "relu"
	Tanh    = "tanh"
	Sigmoid = "sigmoid"
	Softmax = "softmax"
)

// NewActivation returns an activation layer of the given kind: relu, tanh,
// sigmoid or softmax (over the last axis).
func NewActivation(name, kind string) (*Activation, error) {
	switch kind {
	case ReLU, Tanh, Sigmoid, Softmax:
		return &Activation{kind: kind, name: name}, nil
	}
	return nil, fmt.Errorf("nn: unknown activation %q (want relu, tanh, sigmoid or softmax)", kind)
}

func (a *Activation) Name() string                        { return a.name }
func (a *Activation) Kind() string                        { return a.kind }
func (a *Activation) Params() []*Param                    { return nil }
func (a *Activation) OutputShape(in []int) ([]int, error) { return in, nil }

func (a *Activation) Forward(_ *Graph, x *G.Node) (*G.Node, error) {
	switch a.kind {
	case ReLU:
		// Gorgonia's Rectify's results, faster (relu_op.go).
		return rectify(x)
	case Tanh:
		return G.Tanh(x)
	case Sigmoid:
		return G.Sigmoid(x)
	default:
		if len(x.Shape()) != 2 {
			return nil, fmt.Errorf("softmax wants [batch, features], got %v", x.Shape())
		}
		return G.ApplyOp(softmaxOp{}, x)
	}
}
