package nn

// A max-pooling op to replace Gorgonia's MaxPool2D, which ran one
// goroutine over the batch, kept its argmax as []int and allocated its
// gradient's memory every run (about 12% of LeNet-5's training time).
//
// The results are Gorgonia v0.9.18's (op_nn.go, maxPoolOp.f32s and
// maxPoolDiffOp.f32s) bit for bit:
//
//   - A window is clipped to the image: padding never takes part.
//   - The maximum starts at -math.MaxFloat32 and is replaced only by a
//     strictly greater value, scanning the window row by row, so the first
//     of tied values wins (of 0 and -0, whichever comes first), NaN never
//     wins, and a window holding nothing above -MaxFloat32 (all -Inf or
//     NaN) gives -MaxFloat32.
//   - The gradient starts from +0 and adds each output's gradient to its
//     winner's, in output order, so overlapping windows sum in a fixed
//     order.
//
// The one difference: a window with no winner leaves Gorgonia's mask at
// -1, and its gradient op then indexes -1 and panics, which kills the
// process (DESIGN.md); here such a window passes no gradient back.

import (
	"fmt"
	"github.com/gozoo/gozoo/internal/vec"
	"hash"
	"math"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// maxPoolState is shared by a max pooling and its gradient op: the shapes,
// fixed when the graph is built, and the winners of the last forward run.
// maxPool makes one per call, so the training and evaluation graphs of one
// layer never share it, and a TapeMachine runs its ops one at a time.
type maxPoolState struct {
	win  window
	in   [4]int // B, C, H, W
	out  [2]int // OH, OW
	keep bool   // the graph is differentiated: SymDiff may build a gradient

	// idx holds, for every output, its winner's index within its input
	// plane, or -1 where the window has none. It is allocated on the first
	// forward run and reused after. (An evaluation op fills it too: that
	// keeps one kernel, and costs one store per output.)
	idx []int32
	ran bool // a forward run filled idx
}

// maxPool builds max pooling of x [B, C, H, W] into [B, C, OH, OW].
// training says whether the graph will be differentiated.
func maxPool(x *G.Node, win window, oh, ow int, training bool) (*G.Node, error) {
	s := x.Shape()
	st := &maxPoolState{win: win, in: [4]int{s[0], s[1], s[2], s[3]}, out: [2]int{oh, ow}, keep: training}
	return G.ApplyOp(maxPoolOp{st, &reused{}}, x)
}

func (st *maxPoolState) planes() int     { return st.in[0] * st.in[1] }
func (st *maxPoolState) inShape() []int  { return []int{st.in[0], st.in[1], st.in[2], st.in[3]} }
func (st *maxPoolState) outShape() []int { return []int{st.in[0], st.in[1], st.out[0], st.out[1]} }

// eachPlane calls f for every plane (image and channel) on up to
// convWorkers goroutines, a run of planes at a time. Each plane's outputs
// are written by one call, so the results do not depend on the split.
func (st *maxPoolState) eachPlane(f func(plane int)) {
	planes := st.planes()
	// Runs of about 16k input values: at batch 64, LeNet-5's first pool
	// (384 planes of 28x28) gets 20 runs of up to 20 planes, its second
	// (1024 of 10x10) 7 of up to 163.
	per := max(1, (1<<14)/(st.in[2]*st.in[3]))
	runs := (planes + per - 1) / per
	parallel(runs, max(1, convWorkers()), func(_, r int) {
		for p := r * per; p < min(planes, (r+1)*per); p++ {
			f(p)
		}
	})
}

// forwardPlane pools one plane src [H, W] into dst [OH, OW] and records
// each output's winner in idx [OH, OW].
func (st *maxPoolState) forwardPlane(src, dst []float32, idx []int32) {
	h, w, oh, ow := st.in[2], st.in[3], st.out[0], st.out[1]
	k, s, p := st.win.kernel, st.win.stride, st.win.padding
	if k == Pair(2) && s == Pair(2) && p == Pair(0) {
		pool2x2(src, dst, idx, w, oh, ow)
		return
	}
	for oy := 0; oy < oh; oy++ {
		y0 := oy*s[0] - p[0]
		y1 := min(y0+k[0], h)
		y0 = max(y0, 0)
		for ox := 0; ox < ow; ox++ {
			x0 := ox*s[1] - p[1]
			x1 := min(x0+k[1], w)
			x0 = max(x0, 0)
			bits, arg := uint32(vec.NegMaxBits), int32(-1)
			for y := y0; y < y1; y++ {
				for i, v := range src[y*w+x0 : y*w+x1] {
					bits, arg = vec.Scan(bits, arg, v, int32(y*w+x0+i))
				}
			}
			dst[oy*ow+ox] = math.Float32frombits(bits)
			idx[oy*ow+ox] = arg
		}
	}
}

// pool2x2 is forwardPlane for 2x2 windows with stride 2 and no padding
// (LeNet-5's), scanning in the same order.
func pool2x2(src, dst []float32, idx []int32, w, oh, ow int) {
	for oy := 0; oy < oh; oy++ {
		i0, i1 := int32(2*oy*w), int32((2*oy+1)*w)
		vec.MaxPool2x2(dst[oy*ow:][:ow], idx[oy*ow:][:ow], src[i0:][:2*ow], src[i1:][:2*ow], i0, i1)
	}
}

// maxPoolOp computes y [B, C, OH, OW] from x [B, C, H, W].
type maxPoolOp struct {
	st  *maxPoolState
	out *reused
}

func (op maxPoolOp) Arity() int { return 1 }
func (op maxPoolOp) Type() hm.Type {
	return hm.NewFnType(tensorType(4), tensorType(4))
}
func (op maxPoolOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape(op.st.outShape()), nil
}
func (op maxPoolOp) ReturnsPtr() bool      { return false }
func (op maxPoolOp) CallsExtern() bool     { return false }
func (op maxPoolOp) OverwritesInput() int  { return -1 }
func (op maxPoolOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "gozoo.maxpool %v %p", op.st.in, op.st) }
func (op maxPoolOp) Hashcode() uint32      { return hashOf(op) }
func (op maxPoolOp) String() string        { return fmt.Sprintf("MaxPool%v(%v)", op.st.in, op.st.win) }

func (op maxPoolOp) Do(inputs ...G.Value) (G.Value, error) {
	return op.UsePreallocDo(op.out.get(op.st.outShape()...), inputs...)
}

func (op maxPoolOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	st := op.st
	img, pooled, err := poolBuffers(inputs, prealloc, st.inShape(), st.outShape())
	if err != nil {
		return nil, errors.WithMessage(err, op.String())
	}
	hw, ohw := st.in[2]*st.in[3], st.out[0]*st.out[1]
	if st.idx == nil {
		st.idx = make([]int32, st.planes()*ohw)
	}
	st.eachPlane(func(p int) {
		st.forwardPlane(img[p*hw:(p+1)*hw], pooled[p*ohw:(p+1)*ohw], st.idx[p*ohw:(p+1)*ohw])
	})
	st.ran = st.keep
	return prealloc, nil
}

func (op maxPoolOp) DiffWRT(int) []bool { return []bool{true} }

func (op maxPoolOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if !op.st.keep {
		return nil, fmt.Errorf("nn: %v was built for evaluation and has no gradient", op)
	}
	if len(inputs) != 1 {
		return nil, fmt.Errorf("nn: maxpool wants 1 input, got %d", len(inputs))
	}
	// The output is an input only so that the gradient runs after the
	// forward pass that found the winners.
	dx, err := G.ApplyOp(maxPoolGradOp{op.st, &reused{}}, output, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}

// maxPoolGradOp computes dx [B, C, H, W] from dy [B, C, OH, OW] and the
// winners of the forward run. Its first input, the forward output, only
// orders it after the forward op.
type maxPoolGradOp struct {
	st  *maxPoolState
	out *reused
}

func (op maxPoolGradOp) Arity() int { return 2 }
func (op maxPoolGradOp) Type() hm.Type {
	return hm.NewFnType(tensorType(4), tensorType(4), tensorType(4))
}
func (op maxPoolGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape(op.st.inShape()).Clone(), nil
}
func (op maxPoolGradOp) ReturnsPtr() bool      { return false }
func (op maxPoolGradOp) CallsExtern() bool     { return false }
func (op maxPoolGradOp) OverwritesInput() int  { return -1 }
func (op maxPoolGradOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "gozoo.maxpool.dx %p", op.out) }
func (op maxPoolGradOp) Hashcode() uint32      { return hashOf(op) }
func (op maxPoolGradOp) String() string {
	return fmt.Sprintf("MaxPoolGrad%v(%v)", op.st.in, op.st.win)
}

func (op maxPoolGradOp) Do(inputs ...G.Value) (G.Value, error) {
	return op.UsePreallocDo(op.out.get(op.st.inShape()...), inputs...)
}

func (op maxPoolGradOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	st := op.st
	if len(inputs) != 2 {
		return nil, fmt.Errorf("nn: %v wants 2 inputs, got %d", op, len(inputs))
	}
	dy, dx, err := poolBuffers(inputs[1:], prealloc, st.outShape(), st.inShape())
	if err != nil {
		return nil, errors.WithMessage(err, op.String())
	}
	if !st.ran {
		return nil, fmt.Errorf("nn: %v ran before a forward pass", op)
	}
	hw, ohw := st.in[2]*st.in[3], st.out[0]*st.out[1]
	st.eachPlane(func(p int) {
		d := dx[p*hw : (p+1)*hw]
		clear(d)
		g := dy[p*ohw : (p+1)*ohw]
		for o, i := range st.idx[p*ohw : (p+1)*ohw] {
			if i >= 0 {
				d[i] += g[o]
			}
		}
	})
	return prealloc, nil
}
