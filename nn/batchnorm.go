package nn

import (
	"fmt"

	G "gorgonia.org/gorgonia"
)

// BatchNorm settings, PyTorch's defaults.
const (
	batchNormMomentum = 0.1
	batchNormEps      = 1e-5
)

// BatchNorm normalises each channel of [C, H, W] images (NewBatchNorm2D) or
// each feature of [F] vectors (NewBatchNorm1D), then scales by Gamma and
// shifts by Beta.
//
// A training graph normalises with the batch mean and biased batch
// variance, and after each run moves RunningMean and RunningVar towards the
// batch mean and unbiased batch variance with momentum 0.1. An evaluation
// graph normalises with the running statistics and changes nothing. This is
// PyTorch's behaviour, with eps 1e-5. The running statistics are
// non-trainable parameters, saved with the model.
type BatchNorm struct {
	name                    string
	size                    int
	spatial                 bool // [C, H, W] rather than [F]
	Gamma, Beta             *Param
	RunningMean, RunningVar *Param
}

// NewBatchNorm2D normalises the channels of [channels, H, W] inputs.
func NewBatchNorm2D(name string, channels int) (*BatchNorm, error) {
	return newBatchNorm(name, channels, true)
}

// NewBatchNorm1D normalises the features of [features] inputs.
func NewBatchNorm1D(name string, features int) (*BatchNorm, error) {
	return newBatchNorm(name, features, false)
}

func newBatchNorm(name string, size int, spatial bool) (*BatchNorm, error) {
	if size <= 0 {
		return nil, fmt.Errorf("nn: batchnorm %q: size must be positive, got %d", name, size)
	}
	b := &BatchNorm{name: name, size: size, spatial: spatial}
	for _, p := range []struct {
		field     **Param
		what      string
		trainable bool
		fill      float32
	}{
		{&b.Gamma, "gamma", true, 1},
		{&b.Beta, "beta", true, 0},
		{&b.RunningMean, "running_mean", false, 0},
		{&b.RunningVar, "running_var", false, 1},
	} {
		prm, err := NewParam(name+"/"+p.what, p.trainable, size)
		if err != nil {
			return nil, err
		}
		for i := range prm.Data() {
			prm.Data()[i] = p.fill
		}
		*p.field = prm
	}
	return b, nil
}

func (b *BatchNorm) Name() string { return b.name }

// Params returns gamma, beta, running_mean and running_var.
func (b *BatchNorm) Params() []*Param {
	return []*Param{b.Gamma, b.Beta, b.RunningMean, b.RunningVar}
}

func (b *BatchNorm) OutputShape(in []int) ([]int, error) {
	if b.spatial {
		c, _, _, err := imageShape(in)
		if err != nil {
			return nil, err
		}
		if c != b.size {
			return nil, fmt.Errorf("wants %d channels, got shape %v", b.size, in)
		}
		return in, nil
	}
	if len(in) != 1 || in[0] != b.size {
		return nil, fmt.Errorf("wants %d features, got shape %v", b.size, in)
	}
	return in, nil
}

// axes returns the axes of [B, ...] that statistics are taken over, and the
// number of values each statistic summarises.
func (b *BatchNorm) axes(shape []int) ([]int, int) {
	if b.spatial {
		return []int{0, 2, 3}, shape[0] * shape[2] * shape[3]
	}
	return []int{0}, shape[0]
}

func (b *BatchNorm) Forward(g *Graph, x *G.Node) (y *G.Node, err error) {
	shape := x.Shape()
	if _, err := b.OutputShape(shape[1:]); err != nil {
		return nil, err
	}
	_, n := b.axes(shape)
	if g.Mode == Training && n < 2 {
		return nil, fmt.Errorf("batchnorm %q: training needs more than one value per channel, got input shape %v", b.name, []int(shape))
	}
	defer catch(&err, "batchnorm")
	eps := G.NewConstant(float32(batchNormEps))
	// Gorgonia v0.9.18's InverseSqrt has a wrong gradient (it computes
	// -g/(2y^3) instead of -g*y^3/2), so 1/sqrt(v) is built as Inverse(Sqrt(v)).
	invStd := func(v *G.Node) *G.Node { return G.Must(G.Inverse(G.Must(G.Sqrt(G.Must(G.Add(v, eps)))))) }
	gamma, beta := g.Node(b.Gamma), g.Node(b.Beta)
	if g.Mode != Training {
		// y = x*scale + shift, scale = gamma/sqrt(var+eps), shift = beta - mean*scale.
		scale := G.Must(G.HadamardProd(gamma, invStd(g.Node(b.RunningVar))))
		shift := G.Must(G.Sub(beta, G.Must(G.HadamardProd(g.Node(b.RunningMean), scale))))
		return G.ApplyOp(channelAffineOp{dims: len(shape), y: new(reused)}, x, scale, shift)
	}
	st := &bnState{channels: b.size}
	y, err = G.ApplyOp(bnOp{st: st, dims: len(shape), y: new(reused)}, x, gamma, beta)
	if err != nil {
		return nil, err
	}
	g.AfterRun(func() error { return b.updateRunning(st) })
	return y, nil
}

// updateRunning moves the running statistics towards the batch's, using the
// unbiased variance var*n/(n-1).
func (b *BatchNorm) updateRunning(st *bnState) error {
	mean, vars, n := st.mean, st.variance, st.n
	if len(mean) != b.size || len(vars) != b.size || n < 2 {
		return fmt.Errorf("nn: batchnorm %q: batch statistics were not computed", b.name)
	}
	const m = batchNormMomentum
	unbias := float64(n) / float64(n-1)
	rm, rv := b.RunningMean.Data(), b.RunningVar.Data()
	for i := range rm {
		rm[i] = float32((1-m)*float64(rm[i]) + m*float64(mean[i]))
		rv[i] = float32((1-m)*float64(rv[i]) + m*float64(vars[i])*unbias)
	}
	return nil
}
