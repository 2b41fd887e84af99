package nn

// A ReLU op to replace Gorgonia's Rectify, which builds a float mask
// m = (x >= 0) with one op, y = x * m with another, and in the backward
// pass multiplies both ways (dy * m, and dy * x for the mask, whose
// gradient nothing uses): four tensors and four passes where one each way
// will do (about 8% of LeNet-5's training time).
//
// The results are Rectify's (gorgonia v0.9.18 nn.go) bit for bit, because
// they are computed the same way, element by element: y = x * m and
// dx = m * dy with m = 1 where x >= 0 and 0 elsewhere. That makes
//
//	x >= 0 (0 and -0 included)  y = x      dx = dy
//	x < 0                       y = -0     dx = 0 * dy (-0 for dy < 0)
//	x = -Inf                    y = NaN    dx = 0 * dy
//	x = NaN                     y = NaN    dx = 0 * dy
//
// and a gradient at x == 0 of dy, as Rectify's.

import (
	"fmt"
	"github.com/gozoo/gozoo/internal/vec"
	"hash"
	"slices"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// rectify builds ReLU of x, of any shape.
func rectify(x *G.Node) (*G.Node, error) {
	return G.ApplyOp(reluOp{dims: x.Dims(), out: &reused{}}, x)
}

// reluChunk is how many elements one worker takes at a time.
const reluChunk = 1 << 15

// elementwise calls f(from, to) over [0, n) in chunks, on up to convWorkers
// goroutines.
func elementwise(n int, f func(from, to int)) {
	chunks := (n + reluChunk - 1) / reluChunk
	parallel(chunks, max(1, convWorkers()), func(_, c int) {
		f(c*reluChunk, min(n, (c+1)*reluChunk))
	})
}

// sameShapeBuffers checks that inputs and dst are float32 tensors of one
// shape, and returns their data.
func sameShapeBuffers(what string, inputs []G.Value, arity int, dst G.Value) ([][]float32, []float32, error) {
	if len(inputs) != arity {
		return nil, nil, fmt.Errorf("nn: %s wants %d inputs, got %d", what, arity, len(inputs))
	}
	out, shape, err := float32s(dst)
	if err != nil {
		return nil, nil, fmt.Errorf("nn: %s output: %w", what, err)
	}
	in := make([][]float32, arity)
	for i, v := range inputs {
		d, s, err := float32s(v)
		if err != nil {
			return nil, nil, fmt.Errorf("nn: %s input %d: %w", what, i, err)
		}
		if !s.Eq(shape) {
			return nil, nil, fmt.Errorf("nn: %s input %d has shape %v, output %v", what, i, s, shape)
		}
		in[i] = d
	}
	return in, out, nil
}

// reused keeps an op's output tensor from run to run. A Program resets
// its TapeMachine before every run, which forgets the values it would pass
// to UsePreallocDo, so without this every run allocates (and the runtime
// zeroes) every output afresh, and collects them again. Reuse is safe: a
// run writes each op's output in full before anything reads it, and
// nothing keeps one from a run to the next (Program.Outputs says so). A
// later op may write into the tensor in place once it is dead, or reshape
// it in place (Gorgonia's Reshape may), which get undoes.
type reused struct{ t *tensor.Dense }

// get returns the kept tensor with the given shape, making it on first
// use.
func (r *reused) get(shape ...int) *tensor.Dense {
	shape = slices.Clone(shape) // the tensor may keep it
	n := 1
	for _, d := range shape {
		n *= d
	}
	if r.t != nil {
		if d, ok := r.t.Data().([]float32); ok && len(d) == n && r.t.Reshape(shape...) == nil {
			return r.t
		}
	}
	r.t = tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(shape...))
	return r.t
}

// shapeOf returns the shape of a tensor value, or nil.
func shapeOf(v G.Value) []int {
	if t, ok := v.(tensor.Tensor); ok {
		return t.Shape()
	}
	return nil
}

// reluOp computes y = x * (x >= 0) from x or, as its own gradient op,
// dx = (x >= 0) * dy from x and dy.
type reluOp struct {
	dims int
	grad bool
	out  *reused
}

func (op reluOp) Arity() int {
	if op.grad {
		return 2
	}
	return 1
}

func (op reluOp) Type() hm.Type {
	t := tensorType(op.dims)
	if op.grad {
		return hm.NewFnType(t, t, t)
	}
	return hm.NewFnType(t, t)
}

func (op reluOp) String() string {
	if op.grad {
		return "ReLUGrad"
	}
	return "ReLU"
}

func (op reluOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) { return sameShapeAs(in, 0) }
func (op reluOp) ReturnsPtr() bool                                  { return false }
func (op reluOp) CallsExtern() bool                                 { return false }
func (op reluOp) OverwritesInput() int                              { return -1 }
func (op reluOp) WriteHash(h hash.Hash)                             { fmt.Fprintf(h, "gozoo.%v %d %p", op, op.dims, op.out) }
func (op reluOp) Hashcode() uint32                                  { return hashOf(op) }

func (op reluOp) Do(inputs ...G.Value) (G.Value, error) {
	if len(inputs) != op.Arity() {
		return nil, fmt.Errorf("nn: %v wants %d inputs, got %d", op, op.Arity(), len(inputs))
	}
	return op.UsePreallocDo(op.out.get(shapeOf(inputs[0])...), inputs...)
}

func (op reluOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	in, out, err := sameShapeBuffers(op.String(), inputs, op.Arity(), prealloc)
	if err != nil {
		return nil, err
	}
	x := in[0]
	if op.grad {
		dy := in[1]
		elementwise(len(out), func(from, to int) {
			vec.ReLUGrad(out[from:to], x[from:to], dy[from:to])
		})
		return prealloc, nil
	}
	elementwise(len(out), func(from, to int) {
		vec.ReLU(out[from:to], x[from:to])
	})
	return prealloc, nil
}

// DiffWRT says the forward op is differentiable in x, the gradient op in
// nothing.
func (op reluOp) DiffWRT(n int) []bool {
	d := make([]bool, n)
	for i := range d {
		d[i] = !op.grad
	}
	return d
}

func (op reluOp) SymDiff(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	if op.grad {
		return nil, fmt.Errorf("nn: %v has no gradient", op)
	}
	if len(inputs) != 1 {
		return nil, fmt.Errorf("nn: relu wants 1 input, got %d", len(inputs))
	}
	dx, err := G.ApplyOp(reluOp{dims: op.dims, grad: true, out: &reused{}}, inputs[0], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}

// sameShapeAs returns a copy of the shape in[i].
func sameShapeAs(in []G.DimSizer, i int) (tensor.Shape, error) {
	if i >= len(in) {
		return nil, fmt.Errorf("nn: want %d shapes, got %d", i+1, len(in))
	}
	s, ok := in[i].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("nn: want a shape, got %T", in[i])
	}
	return s.Clone(), nil
}
