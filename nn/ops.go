package nn

// Custom Gorgonia ops for softmax and softmax cross-entropy.
//
// gorgonia.org/tensor v0.9.24's softmax kernels take the row maximum from the
// first element of the whole tensor rather than of each row (and skip the
// row's own first element), so a row whose largest logit is not in that
// place overflows exp and yields Inf and NaN. They also start one goroutine
// per row. These ops subtract each row's own maximum, fuse the loss into one
// node, and give the gradient (softmax - y) / n in one pass.

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func matrixType() G.TensorType { return G.TensorType{Dims: 2, Of: hm.TypeVariable('a')} }

func float32s(v G.Value) ([]float32, tensor.Shape, error) {
	t, ok := v.(tensor.Tensor)
	if !ok {
		return nil, nil, fmt.Errorf("nn: want a tensor, got %T", v)
	}
	d, ok := t.Data().([]float32)
	if !ok {
		return nil, nil, fmt.Errorf("nn: want float32 data, got %T", t.Data())
	}
	return d, t.Shape(), nil
}

// softmaxRow writes softmax(x) into dst and returns log(sum(exp(x - max))) and max.
func softmaxRow(x, dst []float32) (logSum, maxV float64) {
	m := x[0]
	for _, v := range x[1:] {
		if v > m {
			m = v
		}
	}
	var sum float64
	for j, v := range x {
		e := math.Exp(float64(v - m))
		dst[j] = float32(e)
		sum += e
	}
	inv := 1 / sum
	for j := range dst {
		dst[j] = float32(float64(dst[j]) * inv)
	}
	return math.Log(sum), float64(m)
}

// xentOp computes mean over rows of -sum(y * log softmax(logits)).
type xentOp struct{}

func (xentOp) Arity() int { return 2 }
func (xentOp) Type() hm.Type {
	return hm.NewFnType(matrixType(), matrixType(), hm.TypeVariable('a'))
}
func (xentOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return tensor.ScalarShape(), nil }
func (xentOp) ReturnsPtr() bool                               { return false }
func (xentOp) CallsExtern() bool                              { return false }
func (xentOp) OverwritesInput() int                           { return -1 }
func (xentOp) WriteHash(h hash.Hash)                          { h.Write([]byte("gozoo.softmax_xent")) }
func (o xentOp) Hashcode() uint32                             { return hashOf(o) }
func (xentOp) String() string                                 { return "SoftmaxCrossEntropy" }

func (xentOp) Do(inputs ...G.Value) (G.Value, error) {
	if len(inputs) != 2 {
		return nil, fmt.Errorf("nn: softmax cross-entropy wants 2 inputs, got %d", len(inputs))
	}
	z, zs, err := float32s(inputs[0])
	if err != nil {
		return nil, err
	}
	y, ys, err := float32s(inputs[1])
	if err != nil {
		return nil, err
	}
	if !zs.Eq(ys) || len(zs) != 2 {
		return nil, fmt.Errorf("nn: softmax cross-entropy: logits %v and targets %v differ", zs, ys)
	}
	n, k := zs[0], zs[1]
	var total float64
	for i := 0; i < n; i++ {
		row := z[i*k : (i+1)*k]
		m := row[0]
		for _, v := range row[1:] {
			if v > m {
				m = v
			}
		}
		var sum float64
		for _, v := range row {
			sum += math.Exp(float64(v - m))
		}
		logSum := math.Log(sum)
		for j, t := range y[i*k : (i+1)*k] {
			if t != 0 {
				total -= float64(t) * (float64(row[j]-m) - logSum)
			}
		}
	}
	return G.NewF32(float32(total / float64(n))), nil
}

func (xentOp) DiffWRT(int) []bool { return []bool{true, false} }

func (xentOp) SymDiff(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	d, err := G.ApplyOp(xentGradOp{}, inputs[0], inputs[1], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{d, nil}, nil
}

// xentGradOp computes g * (softmax(logits) - y) / n for the scalar upstream
// gradient g.
type xentGradOp struct{}

func (xentGradOp) Arity() int { return 3 }
func (xentGradOp) Type() hm.Type {
	return hm.NewFnType(matrixType(), matrixType(), hm.TypeVariable('a'), matrixType())
}
func (xentGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("nn: softmax cross-entropy gradient: want a shape, got %T", in[0])
	}
	return s.Clone(), nil
}
func (xentGradOp) ReturnsPtr() bool      { return false }
func (xentGradOp) CallsExtern() bool     { return false }
func (xentGradOp) OverwritesInput() int  { return -1 }
func (xentGradOp) WriteHash(h hash.Hash) { h.Write([]byte("gozoo.softmax_xent_grad")) }
func (o xentGradOp) Hashcode() uint32    { return hashOf(o) }
func (xentGradOp) String() string        { return "SoftmaxCrossEntropyGrad" }

func (xentGradOp) Do(inputs ...G.Value) (G.Value, error) {
	if len(inputs) != 3 {
		return nil, fmt.Errorf("nn: softmax cross-entropy gradient wants 3 inputs, got %d", len(inputs))
	}
	z, zs, err := float32s(inputs[0])
	if err != nil {
		return nil, err
	}
	y, _, err := float32s(inputs[1])
	if err != nil {
		return nil, err
	}
	g, ok := inputs[2].Data().(float32)
	if !ok {
		return nil, fmt.Errorf("nn: softmax cross-entropy gradient: want a float32 scalar, got %T", inputs[2].Data())
	}
	n, k := zs[0], zs[1]
	out := make([]float32, n*k)
	scale := float64(g) / float64(n)
	for i := 0; i < n; i++ {
		dst := out[i*k : (i+1)*k]
		softmaxRow(z[i*k:(i+1)*k], dst)
		for j := range dst {
			dst[j] = float32((float64(dst[j]) - float64(y[i*k+j])) * scale)
		}
	}
	return tensor.New(tensor.WithShape(n, k), tensor.WithBacking(out)), nil
}

// softmaxOp is a numerically stable softmax over the last axis of a matrix.
type softmaxOp struct{}

func (softmaxOp) Arity() int    { return 1 }
func (softmaxOp) Type() hm.Type { return hm.NewFnType(matrixType(), matrixType()) }
func (softmaxOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return xentGradOp{}.InferShape(in...)
}
func (softmaxOp) ReturnsPtr() bool      { return false }
func (softmaxOp) CallsExtern() bool     { return false }
func (softmaxOp) OverwritesInput() int  { return -1 }
func (softmaxOp) WriteHash(h hash.Hash) { h.Write([]byte("gozoo.softmax")) }
func (o softmaxOp) Hashcode() uint32    { return hashOf(o) }
func (softmaxOp) String() string        { return "Softmax" }

func (softmaxOp) Do(inputs ...G.Value) (G.Value, error) {
	if len(inputs) != 1 {
		return nil, fmt.Errorf("nn: softmax wants 1 input, got %d", len(inputs))
	}
	z, zs, err := float32s(inputs[0])
	if err != nil {
		return nil, err
	}
	if len(zs) != 2 {
		return nil, fmt.Errorf("nn: softmax wants a matrix, got shape %v", zs)
	}
	n, k := zs[0], zs[1]
	out := make([]float32, n*k)
	for i := 0; i < n; i++ {
		softmaxRow(z[i*k:(i+1)*k], out[i*k:(i+1)*k])
	}
	return tensor.New(tensor.WithShape(n, k), tensor.WithBacking(out)), nil
}

func (softmaxOp) DiffWRT(int) []bool { return []bool{true} }

func (softmaxOp) SymDiff(_ G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	d, err := G.ApplyOp(softmaxGradOp{}, output, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{d}, nil
}

// softmaxGradOp computes s * (g - sum(g * s)) row by row, for softmax output s
// and upstream gradient g.
type softmaxGradOp struct{}

func (softmaxGradOp) Arity() int { return 2 }
func (softmaxGradOp) Type() hm.Type {
	return hm.NewFnType(matrixType(), matrixType(), matrixType())
}
func (softmaxGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return xentGradOp{}.InferShape(in...)
}
func (softmaxGradOp) ReturnsPtr() bool      { return false }
func (softmaxGradOp) CallsExtern() bool     { return false }
func (softmaxGradOp) OverwritesInput() int  { return -1 }
func (softmaxGradOp) WriteHash(h hash.Hash) { h.Write([]byte("gozoo.softmax_grad")) }
func (o softmaxGradOp) Hashcode() uint32    { return hashOf(o) }
func (softmaxGradOp) String() string        { return "SoftmaxGrad" }

func (softmaxGradOp) Do(inputs ...G.Value) (G.Value, error) {
	if len(inputs) != 2 {
		return nil, fmt.Errorf("nn: softmax gradient wants 2 inputs, got %d", len(inputs))
	}
	s, ss, err := float32s(inputs[0])
	if err != nil {
		return nil, err
	}
	g, _, err := float32s(inputs[1])
	if err != nil {
		return nil, err
	}
	n, k := ss[0], ss[1]
	out := make([]float32, n*k)
	for i := 0; i < n; i++ {
		var dot float64
		for j := 0; j < k; j++ {
			dot += float64(g[i*k+j]) * float64(s[i*k+j])
		}
		for j := 0; j < k; j++ {
			out[i*k+j] = float32(float64(s[i*k+j]) * (float64(g[i*k+j]) - dot))
		}
	}
	return tensor.New(tensor.WithShape(n, k), tensor.WithBacking(out)), nil
}
