package nn

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// channelAffineOp is y = x*scale[c] + shift[c] over the channels (axis 1)
// of x [N, C, ...], in one pass: a batch norm in an evaluation program.
// Built from Gorgonia's broadcast ops it repeated scale and shift to the
// size of x and made two passes; in cifar-vgg that copying was half of
// the time. Each value is a float32 product, rounded, then a float32 sum,
// as the broadcast ops compute it (the explicit conversion keeps the
// compiler from fusing them), so the outputs are the same bits
// (TestChannelAffineMatchesBroadcastOps).
type channelAffineOp struct {
	dims int
	y    *reused
}

func (op channelAffineOp) Arity() int { return 3 }
func (op channelAffineOp) Type() hm.Type {
	t := tensorType(op.dims)
	return hm.NewFnType(t, tensorType(1), tensorType(1), t)
}
func (op channelAffineOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok || len(s) != op.dims {
		return nil, fmt.Errorf("nn: channel affine wants a %d-D input, got %v", op.dims, in[0])
	}
	return s.Clone(), nil
}
func (op channelAffineOp) ReturnsPtr() bool     { return false }
func (op channelAffineOp) CallsExtern() bool    { return false }
func (op channelAffineOp) OverwritesInput() int { return -1 }
func (op channelAffineOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "gozoo.channelaffine %d %p", op.dims, op.y)
}
func (op channelAffineOp) Hashcode() uint32 { return hashOf(op) }
func (op channelAffineOp) String() string   { return "ChannelAffine" }

func (op channelAffineOp) Do(inputs ...G.Value) (G.Value, error) {
	if len(inputs) != 3 {
		return nil, fmt.Errorf("nn: channel affine wants 3 inputs, got %d", len(inputs))
	}
	return op.UsePreallocDo(op.y.get(shapeOf(inputs[0])...), inputs...)
}

func (op channelAffineOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	if len(inputs) != 3 {
		return nil, fmt.Errorf("nn: channel affine wants 3 inputs, got %d", len(inputs))
	}
	x, xs, err := float32s(inputs[0])
	if err != nil {
		return nil, err
	}
	scale, _, err1 := float32s(inputs[1])
	shift, _, err2 := float32s(inputs[2])
	y, _, err3 := float32s(prealloc)
	if err := firstError(err1, err2, err3); err != nil {
		return nil, err
	}
	if len(xs) < 2 || len(scale) != xs[1] || len(shift) != xs[1] || len(y) != len(x) {
		return nil, fmt.Errorf("nn: channel affine got input %v, %d scales, %d shifts, %d outputs", xs, len(scale), len(shift), len(y))
	}
	channels := xs[1]
	inner := len(x) / max(1, xs[0]*channels)
	parallel(xs[0]*channels, max(1, convWorkers()), func(_, nc int) {
		s, b := scale[nc%channels], shift[nc%channels]
		dst, src := y[nc*inner:(nc+1)*inner], x[nc*inner:(nc+1)*inner]
		for i, v := range src {
			dst[i] = float32(v*s) + b
		}
	})
	return prealloc, nil
}
