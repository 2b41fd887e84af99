package nn

// A direct NCHW convolution op. Gorgonia's Conv2d computes im2col into fresh
// memory, multiplies, then transposes NHWC to NCHW, and a bias needs a
// separate broadcast; together that was half of LeNet-5's training time.
// This op writes each image's output straight from one matrix product,
// W[O, K] x col[K, P] (K = C*kh*kw, P = OH*OW), adds the bias in place,
// keeps the batch's column matrices for the weight gradient, reuses its
// buffers from run to run, and spreads the images over the cores.
//
// The column matrix is kept as [K, P] or, where gonum's kernels make that
// faster, transposed as [P, K] (see useRows). In the [P, K] layout the
// weight gradient dy x cols, and in either the input gradient dy^T x W,
// skip the zeros that ReLU and max pooling leave in dy.

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"gonum.org/v1/gonum/blas"
)

func tensorType(dims int) G.TensorType { return G.TensorType{Dims: dims, Of: hm.TypeVariable('a')} }

// convState is shared by a convolution and its gradient ops: the plan fixed
// when the graph is built, and buffers reused from run to run. convolve
// makes one per call, so the training and evaluation graphs of one layer
// never share buffers, and a TapeMachine runs its ops one at a time.
type convState struct {
	geom convGeom
	rows bool // columns kept as [P, K] (im2row) rather than [K, P]
	keep bool // keep every image's columns for the weight gradient

	// inputGradMethod, if not zero, fixes the input gradient's product for
	// tests: 1 for W^T x dy, 2 for dy^T x W.
	inputGradMethod int

	cols    []float32   // keep: batch*K*P, else K*P per worker
	batch   int         // images in the last forward run
	dcols   [][]float32 // per worker: one image's column gradient
	partial []float32   // weight-gradient sums, O*K per group of images
}

func newConvState(g convGeom, training bool) *convState {
	return &convState{geom: g, rows: useRows(g, training), keep: training}
}

func newFloat32s(buf []float32, n int) []float32 {
	if cap(buf) < n {
		return make([]float32, n)
	}
	return buf[:n]
}

// workers returns how many goroutines to spread n images over, with a
// column-gradient buffer ready for each.
func (st *convState) workers(n int) int {
	w := max(1, min(n, convWorkers()))
	for len(st.dcols) < w {
		st.dcols = append(st.dcols, nil)
	}
	return w
}

// convOp computes y [B, O, OH, OW] from x [B, C, H, W], w [O, C, kh, kw] and,
// with a bias, b [O].
type convOp struct{ st *convState }

func (op convOp) Arity() int {
	if op.st.geom.bias {
		return 3
	}
	return 2
}

func (op convOp) Type() hm.Type {
	if op.st.geom.bias {
		return hm.NewFnType(tensorType(4), tensorType(4), tensorType(1), tensorType(4))
	}
	return hm.NewFnType(tensorType(4), tensorType(4), tensorType(4))
}

func (op convOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok || len(s) != 4 {
		return nil, fmt.Errorf("nn: conv2d wants a 4-D input shape, got %v", in[0])
	}
	g := op.st.geom
	return tensor.Shape{s[0], g.o, g.oh, g.ow}, nil
}

func (op convOp) ReturnsPtr() bool      { return false }
func (op convOp) CallsExtern() bool     { return false }
func (op convOp) OverwritesInput() int  { return -1 }
func (op convOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "gozoo.conv2d %v %p", op.st.geom, op.st) }
func (op convOp) Hashcode() uint32      { return hashOf(op) }
func (op convOp) String() string        { return "Conv2D{" + op.st.geom.String() + "}" }

func (op convOp) Do(inputs ...G.Value) (G.Value, error) { return op.do(nil, inputs) }

// UsePreallocDo is Do writing into prealloc's memory where it fits.
func (op convOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	return op.do(prealloc, inputs)
}

func (op convOp) do(prealloc G.Value, inputs []G.Value) (G.Value, error) {
	if len(inputs) != op.Arity() {
		return nil, fmt.Errorf("nn: conv2d wants %d inputs, got %d", op.Arity(), len(inputs))
	}
	x, xs, err := float32s(inputs[0])
	if err != nil {
		return nil, err
	}
	w, _, err := float32s(inputs[1])
	if err != nil {
		return nil, err
	}
	st, g := op.st, op.st.geom
	if len(xs) != 4 || xs[1] != g.c || xs[2] != g.h || xs[3] != g.w || len(w) != g.o*g.k() {
		return nil, fmt.Errorf("nn: conv2d %v got input %v and %d weights", g, xs, len(w))
	}
	var b []float32
	if g.bias {
		if b, _, err = float32s(inputs[2]); err != nil {
			return nil, err
		}
		if len(b) != g.o {
			return nil, fmt.Errorf("nn: conv2d %v got %d biases", g, len(b))
		}
	}
	batch, k, p, img := xs[0], g.k(), g.p(), g.c*g.h*g.w
	workers := st.workers(batch)
	slots := workers
	if st.keep {
		slots = batch
	}
	st.cols = newFloat32s(st.cols, slots*k*p)
	st.batch = batch
	var out []float32
	pre, _ := prealloc.(*tensor.Dense)
	if pre != nil {
		if data, ok := pre.Data().([]float32); ok && len(data) == batch*g.o*p {
			out = data
		} else {
			pre = nil
		}
	}
	if out == nil {
		out = make([]float32, batch*g.o*p)
	}
	parallel(batch, workers, func(worker, n int) {
		slot := worker
		if st.keep {
			slot = n
		}
		col := st.cols[slot*k*p : (slot+1)*k*p]
		y := out[n*g.o*p : (n+1)*g.o*p]
		beta := float32(0)
		if b != nil {
			for o, v := range b {
				row := y[o*p : (o+1)*p]
				for i := range row {
					row[i] = v
				}
			}
			beta = 1
		}
		if st.rows {
			g.im2row(x[n*img:(n+1)*img], col)
			mulMat(blas.NoTrans, blas.Trans, g.o, p, k, w, k, col, k, beta, y, p)
		} else {
			g.im2col(x[n*img:(n+1)*img], col)
			mulMat(blas.NoTrans, blas.NoTrans, g.o, p, k, w, k, col, p, beta, y, p)
		}
	})
	if pre != nil {
		return pre, nil
	}
	return tensor.New(tensor.WithShape(batch, g.o, g.oh, g.ow), tensor.WithBacking(out)), nil
}

func (op convOp) DiffWRT(n int) []bool {
	d := []bool{op.st.geom.inputGrads, true, true}
	return d[:n]
}

func (op convOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if !op.st.keep {
		return nil, fmt.Errorf("nn: conv2d %v was built for evaluation and has no gradient", op.st.geom)
	}
	out := make(G.Nodes, len(inputs))
	var err error
	if op.st.geom.inputGrads {
		if out[0], err = G.ApplyOp(convInputGradOp{convGradBase{op.st}}, inputs[1], grad); err != nil {
			return nil, err
		}
	}
	// The output is an input only so that the weight gradient runs after
	// the forward pass that filled the columns it reads.
	if out[1], err = G.ApplyOp(convWeightGradOp{convGradBase{op.st}}, output, grad); err != nil {
		return nil, err
	}
	if op.st.geom.bias {
		if out[2], err = G.ApplyOp(convBiasGradOp{convGradBase{op.st}}, grad); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// convGradBase holds what the three gradient ops share.
type convGradBase struct{ st *convState }

func (convGradBase) ReturnsPtr() bool     { return false }
func (convGradBase) CallsExtern() bool    { return false }
func (convGradBase) OverwritesInput() int { return -1 }

// gradOf checks the upstream gradient dy [B, O, OH, OW] and returns its data
// and batch size.
func (b convGradBase) gradOf(v G.Value) ([]float32, int, error) {
	dy, s, err := float32s(v)
	if err != nil {
		return nil, 0, err
	}
	g := b.st.geom
	if len(s) != 4 || s[1] != g.o || s[2] != g.oh || s[3] != g.ow {
		return nil, 0, fmt.Errorf("nn: conv2d gradient %v does not fit %v", s, g)
	}
	return dy, s[0], nil
}

// convInputGradOp computes dx [B, C, H, W] from w and dy.
type convInputGradOp struct{ convGradBase }

func (op convInputGradOp) Arity() int { return 2 }
func (op convInputGradOp) Type() hm.Type {
	return hm.NewFnType(tensorType(4), tensorType(4), tensorType(4))
}
func (op convInputGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[1].(tensor.Shape)
	if !ok || len(s) != 4 {
		return nil, fmt.Errorf("nn: conv2d input gradient wants a 4-D gradient shape, got %v", in[1])
	}
	g := op.st.geom
	return tensor.Shape{s[0], g.c, g.h, g.w}, nil
}
func (op convInputGradOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "gozoo.conv2d.dx %p", op.st) }
func (op convInputGradOp) Hashcode() uint32      { return hashOf(op) }
func (op convInputGradOp) String() string        { return "Conv2DInputGrad" }

func (op convInputGradOp) Do(inputs ...G.Value) (G.Value, error) { return op.do(nil, inputs) }

// UsePreallocDo computes into prealloc, the node's value from the last run.
func (op convInputGradOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	return op.do(prealloc, inputs)
}

func (op convInputGradOp) do(prealloc G.Value, inputs []G.Value) (G.Value, error) {
	if len(inputs) != 2 {
		return nil, fmt.Errorf("nn: conv2d input gradient wants 2 inputs, got %d", len(inputs))
	}
	w, _, err := float32s(inputs[0])
	if err != nil {
		return nil, err
	}
	dy, batch, err := op.gradOf(inputs[1])
	if err != nil {
		return nil, err
	}
	st, g := op.st, op.st.geom
	k, p, img := g.k(), g.p(), g.c*g.h*g.w
	if len(w) != g.o*k {
		return nil, fmt.Errorf("nn: conv2d input gradient %v got %d weights", g, len(w))
	}
	workers := st.workers(batch)
	for i := range workers {
		st.dcols[i] = newFloat32s(st.dcols[i], k*p)
	}
	dx, err := preallocated(prealloc, batch*img)
	if err != nil {
		return nil, err
	}
	parallel(batch, workers, func(worker, n int) {
		dcol := st.dcols[worker]
		dyn := dy[n*g.o*p : (n+1)*g.o*p]
		sparse := st.inputGradMethod == 2
		if st.inputGradMethod == 0 {
			nonZero := 0
			for _, v := range dyn {
				if v != 0 {
					nonZero++
				}
			}
			sparse = sparseInputGrad(g, nonZero)
		}
		if sparse {
			mulMat(blas.Trans, blas.NoTrans, p, k, g.o, dyn, p, w, k, 0, dcol, k)
			g.row2im(dcol, dx[n*img:(n+1)*img])
		} else {
			mulMat(blas.Trans, blas.NoTrans, k, p, g.o, w, k, dyn, p, 0, dcol, p)
			g.col2im(dcol, dx[n*img:(n+1)*img])
		}
	})
	if prealloc != nil {
		return prealloc, nil
	}
	return tensor.New(tensor.WithShape(batch, g.c, g.h, g.w), tensor.WithBacking(dx)), nil
}

// preallocated returns prealloc's n float32s, zeroed, or n new zeros for a
// nil prealloc.
func preallocated(prealloc G.Value, n int) ([]float32, error) {
	if prealloc == nil {
		return make([]float32, n), nil
	}
	d, ok := prealloc.Data().([]float32)
	if !ok || len(d) != n {
		return nil, fmt.Errorf("nn: preallocated value of %d float32s wanted, got %T of %d", n, prealloc.Data(), prealloc.Shape().TotalSize())
	}
	clear(d)
	return d, nil
}

// convWeightGradOp computes dw [O, C, kh, kw] from the forward run's column
// matrices and dy. Its first input, the forward output, only orders it after
// the forward op.
type convWeightGradOp struct{ convGradBase }

func (op convWeightGradOp) Arity() int { return 2 }
func (op convWeightGradOp) Type() hm.Type {
	return hm.NewFnType(tensorType(4), tensorType(4), tensorType(4))
}
func (op convWeightGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	g := op.st.geom
	return tensor.Shape{g.o, g.c, g.kh, g.kw}, nil
}
func (op convWeightGradOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "gozoo.conv2d.dw %p", op.st) }
func (op convWeightGradOp) Hashcode() uint32      { return hashOf(op) }
func (op convWeightGradOp) String() string        { return "Conv2DWeightGrad" }

// weightGradGroup is how many images' products go into one partial sum of
// the weight gradient. The sums are added in a fixed order, so the result
// does not depend on the number of workers.
const weightGradGroup = 8

func (op convWeightGradOp) Do(inputs ...G.Value) (G.Value, error) { return op.do(nil, inputs) }

// UsePreallocDo computes into prealloc, the node's value from the last run.
func (op convWeightGradOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	return op.do(prealloc, inputs)
}

func (op convWeightGradOp) do(prealloc G.Value, inputs []G.Value) (G.Value, error) {
	if len(inputs) != 2 {
		return nil, fmt.Errorf("nn: conv2d weight gradient wants 2 inputs, got %d", len(inputs))
	}
	dy, batch, err := op.gradOf(inputs[1])
	if err != nil {
		return nil, err
	}
	st, g := op.st, op.st.geom
	k, p, ok := g.k(), g.p(), g.o*g.k()
	if batch != st.batch || len(st.cols) != batch*k*p {
		return nil, fmt.Errorf("nn: conv2d weight gradient for batch %d has no columns from a forward pass over that batch", batch)
	}
	// sum adds the products of images [from, to) into dst, overwriting it.
	sum := func(dst []float32, from, to int) {
		for n := from; n < to; n++ {
			beta := float32(1)
			if n == from {
				beta = 0
			}
			dyn, col := dy[n*g.o*p:(n+1)*g.o*p], st.cols[n*k*p:(n+1)*k*p]
			if st.rows {
				mulMat(blas.NoTrans, blas.NoTrans, g.o, k, p, dyn, p, col, k, beta, dst, k)
			} else {
				mulMat(blas.NoTrans, blas.Trans, g.o, k, p, dyn, p, col, p, beta, dst, k)
			}
		}
	}
	dw, err := preallocated(prealloc, ok)
	if err != nil {
		return nil, err
	}
	groups := (batch + weightGradGroup - 1) / weightGradGroup
	if groups <= 1 {
		sum(dw, 0, batch)
	} else {
		st.partial = newFloat32s(st.partial, groups*ok)
		parallel(groups, st.workers(groups), func(_, i int) {
			sum(st.partial[i*ok:(i+1)*ok], i*weightGradGroup, min(batch, (i+1)*weightGradGroup))
		})
		copy(dw, st.partial[:ok])
		for i := 1; i < groups; i++ {
			for j, v := range st.partial[i*ok : (i+1)*ok] {
				dw[j] += v
			}
		}
	}
	if prealloc != nil {
		return prealloc, nil
	}
	return tensor.New(tensor.WithShape(g.o, g.c, g.kh, g.kw), tensor.WithBacking(dw)), nil
}

// convBiasGradOp computes db [O], the sum of dy over the batch and pixels.
type convBiasGradOp struct{ convGradBase }

func (op convBiasGradOp) Arity() int { return 1 }
func (op convBiasGradOp) Type() hm.Type {
	return hm.NewFnType(tensorType(4), tensorType(1))
}
func (op convBiasGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.st.geom.o}, nil
}
func (op convBiasGradOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "gozoo.conv2d.db %p", op.st) }
func (op convBiasGradOp) Hashcode() uint32      { return hashOf(op) }
func (op convBiasGradOp) String() string        { return "Conv2DBiasGrad" }

func (op convBiasGradOp) Do(inputs ...G.Value) (G.Value, error) { return op.do(nil, inputs) }

// UsePreallocDo computes into prealloc, the node's value from the last run.
func (op convBiasGradOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	return op.do(prealloc, inputs)
}

func (op convBiasGradOp) do(prealloc G.Value, inputs []G.Value) (G.Value, error) {
	if len(inputs) != 1 {
		return nil, fmt.Errorf("nn: conv2d bias gradient wants 1 input, got %d", len(inputs))
	}
	dy, batch, err := op.gradOf(inputs[0])
	if err != nil {
		return nil, err
	}
	g := op.st.geom
	p := g.p()
	db, err := preallocated(prealloc, g.o)
	if err != nil {
		return nil, err
	}
	for n := 0; n < batch; n++ {
		for o := 0; o < g.o; o++ {
			var s float32
			for _, v := range dy[(n*g.o+o)*p : (n*g.o+o+1)*p] {
				s += v
			}
			db[o] += s
		}
	}
	if prealloc != nil {
		return prealloc, nil
	}
	return tensor.New(tensor.WithShape(g.o), tensor.WithBacking(db)), nil
}
