package nn

import (
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
)

// Dropout zeroes each input element with probability Rate during training
// and scales the survivors by 1/(1-Rate) (inverted dropout, as in PyTorch),
// so that evaluation is the identity. The mask is a per-run input drawn
// from the source passed to Program.Run, so training is reproducible.
type Dropout struct {
	name string
	rate float64
}

// NewDropout returns a dropout layer; rate must be in [0, 1).
func NewDropout(name string, rate float64) (*Dropout, error) {
	if !(rate >= 0 && rate < 1) { // also rejects NaN
		return nil, fmt.Errorf("nn: dropout %q: rate must be in [0, 1), got %v", name, rate)
	}
	return &Dropout{name: name, rate: rate}, nil
}

func (d *Dropout) Name() string                        { return d.name }
func (d *Dropout) Rate() float64                       { return d.rate }
func (d *Dropout) Params() []*Param                    { return nil }
func (d *Dropout) OutputShape(in []int) ([]int, error) { return in, nil }

func (d *Dropout) Forward(g *Graph, x *G.Node) (y *G.Node, err error) {
	if g.Mode != Training || d.rate == 0 {
		return x, nil
	}
	defer catch(&err, "dropout")
	mask := g.AddFeed(d.name+"/mask", x.Shape().Clone(), d.fillMask)
	return G.HadamardProd(x, mask)
}

// fillMask draws one uniform number per element: kept elements get
// 1/(1-rate), dropped ones 0.
func (d *Dropout) fillMask(rng *rand.Rand, dst []float32) {
	keep := float32(1 / (1 - d.rate))
	for i := range dst {
		if rng.Float64() >= d.rate {
			dst[i] = keep
		} else {
			dst[i] = 0
		}
	}
}
