package nn

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// A training batch norm as one op and three gradient ops. Built from
// Gorgonia's broadcast ops it repeated the per-channel statistics to the
// size of x in the forward and backward passes; in cifar-vgg those
// repeats and their copies were about 40% of a training step. Each
// channel's sums are taken in float64 by one goroutine, in a fixed order,
// so the result does not depend on GOMAXPROCS.

// bnState is what a training batch norm's ops share within a run: the
// batch statistics of the last forward pass.
type bnState struct {
	channels int
	n        int // values per channel in the last forward pass
	mean     []float32
	variance []float32 // biased
	invStd   []float32 // 1/sqrt(variance + eps)

	// sums holds each channel's sum of dy and of dy*xhat for this run's
	// dy, once a gradient op has taken them (sumsValid): the three
	// gradient ops read one dy, and each would otherwise sum it again.
	sums      []float64
	sumsValid bool
}

// gradSums returns every channel's (sum dy, sum dy*xhat), taking them
// once a run.
func (op bnGradOp) gradSums(x, dy []float32, batch, inner int) []float64 {
	st := op.st
	if !st.sumsValid {
		if cap(st.sums) < 2*st.channels {
			st.sums = make([]float64, 2*st.channels)
		}
		st.sums = st.sums[:2*st.channels]
		st.eachChannel(func(c int) {
			st.sums[2*c], st.sums[2*c+1] = op.sums(x, dy, batch, inner, c)
		})
		st.sumsValid = true
	}
	return st.sums
}

// bnLayout returns x's data, its batch and the values per channel and
// sample, checking that x has st.channels channels.
func (st *bnState) layout(v G.Value) ([]float32, int, int, error) {
	x, s, err := float32s(v)
	if err != nil {
		return nil, 0, 0, err
	}
	if len(s) < 2 || s[1] != st.channels {
		return nil, 0, 0, fmt.Errorf("nn: batchnorm of %d channels got shape %v", st.channels, s)
	}
	inner := 1
	for _, d := range s[2:] {
		inner *= d
	}
	return x, s[0], inner, nil
}

// eachChannel calls f for every channel, spreading channels over the cores.
func (st *bnState) eachChannel(f func(c int)) {
	parallel(st.channels, max(1, convWorkers()), func(_, c int) { f(c) })
}

// values calls f on each run of channel c's values in data [N, C, inner].
func values(data []float32, batch, channels, inner, c int, f func(run []float32, at int)) {
	for b := range batch {
		at := (b*channels + c) * inner
		f(data[at:at+inner], at)
	}
}

// bnOp computes y = (x - mean) * (gamma / sqrt(var + eps)) + beta with the
// batch's statistics, from x [N, C, ...], gamma [C] and beta [C].
type bnOp struct {
	st   *bnState
	dims int
	y    *reused
}

func (op bnOp) Arity() int { return 3 }
func (op bnOp) Type() hm.Type {
	t := tensorType(op.dims)
	return hm.NewFnType(t, tensorType(1), tensorType(1), t)
}
func (op bnOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok || len(s) != op.dims {
		return nil, fmt.Errorf("nn: batchnorm wants a %d-D input, got %v", op.dims, in[0])
	}
	return s.Clone(), nil
}
func (op bnOp) ReturnsPtr() bool      { return false }
func (op bnOp) CallsExtern() bool     { return false }
func (op bnOp) OverwritesInput() int  { return -1 }
func (op bnOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "gozoo.batchnorm %d %p", op.dims, op.st) }
func (op bnOp) Hashcode() uint32      { return hashOf(op) }
func (op bnOp) String() string        { return fmt.Sprintf("BatchNorm(%d)", op.st.channels) }

func (op bnOp) Do(inputs ...G.Value) (G.Value, error) {
	if len(inputs) != 3 {
		return nil, fmt.Errorf("nn: batchnorm wants 3 inputs, got %d", len(inputs))
	}
	return op.UsePreallocDo(op.y.get(shapeOf(inputs[0])...), inputs...)
}

func (op bnOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	if len(inputs) != 3 {
		return nil, fmt.Errorf("nn: batchnorm wants 3 inputs, got %d", len(inputs))
	}
	st := op.st
	x, batch, inner, err := st.layout(inputs[0])
	if err != nil {
		return nil, err
	}
	gamma, _, err1 := float32s(inputs[1])
	beta, _, err2 := float32s(inputs[2])
	y, _, err3 := float32s(prealloc)
	if err := firstError(err1, err2, err3); err != nil {
		return nil, err
	}
	if len(gamma) != st.channels || len(beta) != st.channels || len(y) != len(x) {
		return nil, fmt.Errorf("nn: batchnorm of %d channels got %d gammas, %d betas, %d outputs for %d inputs", st.channels, len(gamma), len(beta), len(y), len(x))
	}
	n := batch * inner
	st.n = n
	st.sumsValid = false
	st.mean = newFloat32s(st.mean, st.channels)
	st.variance = newFloat32s(st.variance, st.channels)
	st.invStd = newFloat32s(st.invStd, st.channels)
	st.eachChannel(func(c int) {
		var sum float64
		values(x, batch, st.channels, inner, c, func(run []float32, _ int) {
			for _, v := range run {
				sum += float64(v)
			}
		})
		mean := sum / float64(n)
		var sq float64
		values(x, batch, st.channels, inner, c, func(run []float32, _ int) {
			for _, v := range run {
				d := float64(v) - mean
				sq += d * d
			}
		})
		variance := sq / float64(n)
		invStd := 1 / math.Sqrt(variance+batchNormEps)
		st.mean[c], st.variance[c], st.invStd[c] = float32(mean), float32(variance), float32(invStd)
		m, scale, shift := float32(mean), float32(float64(gamma[c])*invStd), beta[c]
		values(x, batch, st.channels, inner, c, func(run []float32, at int) {
			out := y[at : at+len(run)]
			for i, v := range run {
				out[i] = float32((v-m)*scale) + shift
			}
		})
	})
	return prealloc, nil
}

func (op bnOp) DiffWRT(n int) []bool { return []bool{true, true, true}[:n] }

func (op bnOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	out := make(G.Nodes, 3)
	var err error
	if out[0], err = G.ApplyOp(bnGradOp{st: op.st, which: bnGradX, dims: op.dims, out: new(reused)}, inputs[0], inputs[1], grad); err != nil {
		return nil, err
	}
	if out[1], err = G.ApplyOp(bnGradOp{st: op.st, which: bnGradGamma, dims: op.dims, out: new(reused)}, inputs[0], grad); err != nil {
		return nil, err
	}
	if out[2], err = G.ApplyOp(bnGradOp{st: op.st, which: bnGradBeta, dims: op.dims, out: new(reused)}, grad); err != nil {
		return nil, err
	}
	return out, nil
}

// Which gradient a bnGradOp computes.
const (
	bnGradX     = iota // dx from x, gamma and dy
	bnGradGamma        // dgamma from x and dy
	bnGradBeta         // dbeta from dy
)

// bnGradOp computes one of a training batch norm's gradients from the
// forward pass's statistics. With xhat = (x - mean) * invStd, per channel:
// dbeta = sum dy, dgamma = sum dy*xhat, and
// dx = gamma*invStd * (dy - dbeta/n - xhat*dgamma/n).
type bnGradOp struct {
	st    *bnState
	which int
	dims  int
	out   *reused
}

func (op bnGradOp) Arity() int { return [...]int{3, 2, 1}[op.which] }
func (op bnGradOp) Type() hm.Type {
	t := tensorType(op.dims)
	switch op.which {
	case bnGradX:
		return hm.NewFnType(t, tensorType(1), t, t)
	case bnGradGamma:
		return hm.NewFnType(t, t, tensorType(1))
	}
	return hm.NewFnType(t, tensorType(1))
}
func (op bnGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if op.which == bnGradX {
		s, ok := in[0].(tensor.Shape)
		if !ok {
			return nil, fmt.Errorf("nn: batchnorm gradient wants a shape, got %v", in[0])
		}
		return s.Clone(), nil
	}
	return tensor.Shape{op.st.channels}, nil
}
func (op bnGradOp) ReturnsPtr() bool     { return false }
func (op bnGradOp) CallsExtern() bool    { return false }
func (op bnGradOp) OverwritesInput() int { return -1 }
func (op bnGradOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "gozoo.batchnorm.grad %d %d %p", op.which, op.dims, op.st)
}
func (op bnGradOp) Hashcode() uint32 { return hashOf(op) }
func (op bnGradOp) String() string {
	return [...]string{"BatchNormGradX", "BatchNormGradGamma", "BatchNormGradBeta"}[op.which]
}

// sums returns channel c's sum of dy and of dy*xhat.
func (op bnGradOp) sums(x, dy []float32, batch, inner, c int) (sumDy, sumDyXhat float64) {
	st := op.st
	mean, invStd := float64(st.mean[c]), float64(st.invStd[c])
	values(dy, batch, st.channels, inner, c, func(run []float32, at int) {
		for i, g := range run {
			sumDy += float64(g)
			if x != nil {
				sumDyXhat += float64(g) * (float64(x[at+i]) - mean) * invStd
			}
		}
	})
	return sumDy, sumDyXhat
}

func (op bnGradOp) Do(inputs ...G.Value) (G.Value, error) {
	if len(inputs) != op.Arity() {
		return nil, fmt.Errorf("nn: %v wants %d inputs, got %d", op, op.Arity(), len(inputs))
	}
	st := op.st
	if st.mean == nil {
		return nil, fmt.Errorf("nn: %v before the batchnorm's forward pass", op)
	}
	dyV := inputs[len(inputs)-1]
	dy, batch, inner, err := st.layout(dyV)
	if err != nil {
		return nil, err
	}
	if batch*inner != st.n {
		return nil, fmt.Errorf("nn: %v for %d values a channel after a forward pass over %d", op, batch*inner, st.n)
	}
	var x []float32
	if op.which != bnGradBeta {
		var xb, xi int
		if x, xb, xi, err = st.layout(inputs[0]); err != nil {
			return nil, err
		}
		if xb != batch || xi != inner {
			return nil, fmt.Errorf("nn: %v: input and gradient shapes differ", op)
		}
	}
	if op.which == bnGradBeta && !st.sumsValid {
		// dbeta alone needs no x; its sums of dy are the same as those
		// taken with dy*xhat.
		grads := op.out.get(st.channels)
		g := grads.Data().([]float32)
		st.eachChannel(func(c int) {
			sumDy, _ := op.sums(nil, dy, batch, inner, c)
			g[c] = float32(sumDy)
		})
		return grads, nil
	}
	if op.which != bnGradX {
		grads := op.out.get(st.channels)
		g := grads.Data().([]float32)
		sums := op.gradSums(x, dy, batch, inner)
		for c := range g {
			if op.which == bnGradBeta {
				g[c] = float32(sums[2*c])
			} else {
				g[c] = float32(sums[2*c+1])
			}
		}
		return grads, nil
	}
	gamma, _, err := float32s(inputs[1])
	if err != nil {
		return nil, err
	}
	if len(gamma) != st.channels {
		return nil, fmt.Errorf("nn: %v got %d gammas for %d channels", op, len(gamma), st.channels)
	}
	dxT := op.out.get(shapeOf(dyV)...)
	dx := dxT.Data().([]float32)
	n := float64(st.n)
	sums := op.gradSums(x, dy, batch, inner)
	st.eachChannel(func(c int) {
		sumDy, sumDyXhat := sums[2*c], sums[2*c+1]
		mean, invStd := float64(st.mean[c]), float64(st.invStd[c])
		k := float64(gamma[c]) * invStd
		meanDy, meanDyXhat := sumDy/n, sumDyXhat/n
		values(dy, batch, st.channels, inner, c, func(run []float32, at int) {
			for i, g := range run {
				xhat := (float64(x[at+i]) - mean) * invStd
				dx[at+i] = float32(k * (float64(g) - meanDy - xhat*meanDyXhat))
			}
		})
	})
	return dxT, nil
}
