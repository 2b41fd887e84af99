package nn

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// denseOp is a dense layer's forward pass in one op, y = x W + b, for
// evaluation programs. Training graphs build x W and the broadcast bias
// from Gorgonia's ops, which the gradient needs; at batch 1 those ops'
// reshapes, repeats and clones were most of an MLP's allocations and a
// third of its time. The product is the one MatMul makes (the BLAS's
// Sgemm with beta 0) and the bias is added after it, so the outputs are
// the training graph's bits (TestTrainingOutputsMatchEvaluation).
type denseOp struct {
	in, out int
	y       *reused
}

func (op denseOp) Arity() int { return 3 }
func (op denseOp) Type() hm.Type {
	return hm.NewFnType(tensorType(2), tensorType(2), tensorType(1), tensorType(2))
}
func (op denseOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok || len(s) != 2 {
		return nil, fmt.Errorf("nn: dense wants a [batch, %d] input, got %v", op.in, in[0])
	}
	return tensor.Shape{s[0], op.out}, nil
}
func (op denseOp) ReturnsPtr() bool      { return false }
func (op denseOp) CallsExtern() bool     { return false }
func (op denseOp) OverwritesInput() int  { return -1 }
func (op denseOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "gozoo.dense %d %d %p", op.in, op.out, op.y) }
func (op denseOp) Hashcode() uint32      { return hashOf(op) }
func (op denseOp) String() string        { return fmt.Sprintf("Dense(%d->%d)", op.in, op.out) }

func (op denseOp) Do(inputs ...G.Value) (G.Value, error) {
	if len(inputs) != 3 {
		return nil, fmt.Errorf("nn: dense wants 3 inputs, got %d", len(inputs))
	}
	return op.UsePreallocDo(op.y.get(firstDim(inputs[0]), op.out), inputs...)
}

func (op denseOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	if len(inputs) != 3 {
		return nil, fmt.Errorf("nn: dense wants 3 inputs, got %d", len(inputs))
	}
	x, xs, err := float32s(inputs[0])
	if err != nil {
		return nil, err
	}
	w, _, err1 := float32s(inputs[1])
	b, _, err2 := float32s(inputs[2])
	y, _, err3 := float32s(prealloc)
	if err := firstError(err1, err2, err3); err != nil {
		return nil, err
	}
	if len(xs) != 2 || xs[1] != op.in || len(w) != op.in*op.out || len(b) != op.out || len(y) != xs[0]*op.out {
		return nil, fmt.Errorf("nn: dense %d->%d got input %v, %d weights, %d biases, %d outputs", op.in, op.out, xs, len(w), len(b), len(y))
	}
	batch := xs[0]
	G.WhichBLAS().Sgemm(blas.NoTrans, blas.NoTrans, batch, op.out, op.in, 1, x, op.in, w, op.out, 0, y, op.out)
	for i := range batch {
		row := y[i*op.out : (i+1)*op.out]
		for j, v := range b {
			row[j] += v
		}
	}
	return prealloc, nil
}

// firstDim returns a tensor's first dimension, or 0.
func firstDim(v G.Value) int {
	if s := shapeOf(v); len(s) > 0 {
		return s[0]
	}
	return 0
}

// firstError returns the first non-nil error.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
