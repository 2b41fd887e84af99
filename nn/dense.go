package nn

import (
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
)

// Dense is a fully connected layer: y = x W + b, with W of shape [in, out]
// (the transpose of PyTorch's nn.Linear weight) and b of shape [out].
type Dense struct {
	name         string
	in, out      int
	Weight, Bias *Param
	// initName is the initializer's name when the layer was built from a
	// spec, kept so that its spec says so again.
	initName string
}

// NewDense creates a dense layer with weights from init and zero biases.
func NewDense(name string, in, out int, init Initializer, rng *rand.Rand) (*Dense, error) {
	if in <= 0 || out <= 0 {
		return nil, fmt.Errorf("nn: dense %q: sizes must be positive, got %d inputs and %d outputs", name, in, out)
	}
	w, err := NewParam(name+"/weight", true, in, out)
	if err != nil {
		return nil, err
	}
	b, err := NewParam(name+"/bias", true, out)
	if err != nil {
		return nil, err
	}
	if err := initialize(fmt.Sprintf("dense %q", name), init, rng, in, out, w.Data()); err != nil {
		return nil, err
	}
	return &Dense{name: name, in: in, out: out, Weight: w, Bias: b}, nil
}

func (d *Dense) Name() string     { return d.name }
func (d *Dense) Params() []*Param { return []*Param{d.Weight, d.Bias} }

func (d *Dense) OutputShape(in []int) ([]int, error) {
	if len(in) != 1 || in[0] != d.in {
		return nil, fmt.Errorf("wants %d inputs, got shape %v", d.in, in)
	}
	return []int{d.out}, nil
}

func (d *Dense) Forward(g *Graph, x *G.Node) (y *G.Node, err error) {
	defer catch(&err, "dense")
	if g.Mode == Evaluation && len(x.Shape()) == 2 {
		return G.ApplyOp(denseOp{in: d.in, out: d.out, y: new(reused)}, x, g.Node(d.Weight), g.Node(d.Bias))
	}
	xw := G.Must(G.Mul(x, g.Node(d.Weight)))
	return G.BroadcastAdd(xw, g.Node(d.Bias), nil, []byte{0})
}
