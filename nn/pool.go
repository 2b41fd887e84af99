package nn

import (
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Pooling kinds reported by Pool2D.Kind.
const (
	MaxPool = "max"
	AvgPool = "avg"
)

// Pool2D is a parameter-free pooling layer over [C, H, W] images, taking the
// maximum (MaxPool2D) or the mean (AvgPool2D) of each window. Padding is
// virtual: max pooling ignores it, and average pooling counts it as zeros
// and always divides by the kernel area (PyTorch's count_include_pad=True).
type Pool2D struct {
	name string
	kind string
	win  window
}

// NewMaxPool2D returns a max-pooling layer. Padding may be at most half the
// kernel, so that every window holds at least one input value.
func NewMaxPool2D(name string, kernel, stride, padding [2]int) (*Pool2D, error) {
	return newPool2D(name, MaxPool, window{kernel: kernel, stride: stride, padding: padding})
}

// NewAvgPool2D returns an average-pooling layer. Padding may be at most half
// the kernel.
func NewAvgPool2D(name string, kernel, stride, padding [2]int) (*Pool2D, error) {
	return newPool2D(name, AvgPool, window{kernel: kernel, stride: stride, padding: padding})
}

func newPool2D(name, kind string, win window) (*Pool2D, error) {
	if err := win.check(); err != nil {
		return nil, fmt.Errorf("nn: %spool2d %q: %w", kind, name, err)
	}
	for i := range win.padding {
		if win.padding[i] > win.kernel[i]/2 {
			return nil, fmt.Errorf("nn: %spool2d %q: padding %v must be at most half the kernel %v", kind, name, win.padding, win.kernel)
		}
	}
	return &Pool2D{name: name, kind: kind, win: win}, nil
}

func (p *Pool2D) Name() string     { return p.name }
func (p *Pool2D) Kind() string     { return p.kind }
func (p *Pool2D) Params() []*Param { return nil }

func (p *Pool2D) OutputShape(in []int) ([]int, error) {
	c, h, w, err := imageShape(in)
	if err != nil {
		return nil, err
	}
	oh, ow, err := p.win.outputHW(h, w)
	if err != nil {
		return nil, fmt.Errorf("%s pooling (%v): %w", p.kind, p.win, err)
	}
	return []int{c, oh, ow}, nil
}

func (p *Pool2D) Forward(g *Graph, x *G.Node) (y *G.Node, err error) {
	out, err := p.OutputShape(x.Shape()[1:])
	if err != nil {
		return nil, err
	}
	defer catch(&err, p.kind+"pool2d")
	if p.kind == MaxPool {
		// Gorgonia's MaxPool2D's results, faster (maxpool_op.go).
		return maxPool(x, p.win, out[1], out[2], g.Mode == Training)
	}
	// Gorgonia v0.9.18's AveragePool2D divides by the input width instead of
	// the window area and has a wrong gradient, hence an op of our own.
	s := x.Shape()
	op := &avgPoolOp{win: p.win, in: [4]int{s[0], s[1], s[2], s[3]}, out: [2]int{out[1], out[2]}}
	return G.ApplyOp(op, x)
}

// avgPoolOp averages each window of a float32 [B, C, H, W] tensor.
type avgPoolOp struct {
	win window
	in  [4]int // B, C, H, W
	out [2]int // OH, OW
}

func (op *avgPoolOp) Arity() int { return 1 }

func (op *avgPoolOp) Type() hm.Type {
	t := G.TensorType{Dims: 4, Of: hm.TypeVariable('a')}
	return hm.NewFnType(t, t)
}

func (op *avgPoolOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.in[0], op.in[1], op.out[0], op.out[1]}, nil
}

func (op *avgPoolOp) Do(inputs ...G.Value) (G.Value, error) {
	out := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(op.in[0], op.in[1], op.out[0], op.out[1]))
	return op.UsePreallocDo(out, inputs...)
}

func (op *avgPoolOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	img, pooled, err := poolBuffers(inputs, prealloc, op.in[:], []int{op.in[0], op.in[1], op.out[0], op.out[1]})
	if err != nil {
		return nil, errors.WithMessage(err, op.String())
	}
	avgPoolPlanes(op.win, op.in, op.out, img, pooled, false)
	return prealloc, nil
}

func (op *avgPoolOp) ReturnsPtr() bool      { return false }
func (op *avgPoolOp) CallsExtern() bool     { return false }
func (op *avgPoolOp) OverwritesInput() int  { return -1 }
func (op *avgPoolOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op *avgPoolOp) Hashcode() uint32      { return hashOf(op) }

func (op *avgPoolOp) String() string {
	return fmt.Sprintf("AvgPool%v(%v)", op.in, op.win)
}

func (op *avgPoolOp) DiffWRT(int) []bool { return []bool{true} }

func (op *avgPoolOp) SymDiff(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	if len(inputs) != 1 {
		return nil, fmt.Errorf("nn: avgpool wants 1 input, got %d", len(inputs))
	}
	dx, err := G.ApplyOp(&avgPoolGradOp{op}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}

// avgPoolGradOp spreads the gradient of each pooled value evenly over its
// window: it maps [B, C, OH, OW] back to [B, C, H, W].
type avgPoolGradOp struct{ fwd *avgPoolOp }

func (op *avgPoolGradOp) Arity() int     { return 1 }
func (op *avgPoolGradOp) Type() hm.Type  { return op.fwd.Type() }
func (op *avgPoolGradOp) String() string { return "AvgPoolGrad" + op.fwd.String()[len("AvgPool"):] }

func (op *avgPoolGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape(op.fwd.in[:]).Clone(), nil
}

func (op *avgPoolGradOp) Do(inputs ...G.Value) (G.Value, error) {
	out := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(op.fwd.in[:]...))
	return op.UsePreallocDo(out, inputs...)
}

func (op *avgPoolGradOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	f := op.fwd
	pooled, img, err := poolBuffers(inputs, prealloc, []int{f.in[0], f.in[1], f.out[0], f.out[1]}, f.in[:])
	if err != nil {
		return nil, errors.WithMessage(err, op.String())
	}
	for i := range img {
		img[i] = 0
	}
	avgPoolPlanes(f.win, f.in, f.out, img, pooled, true)
	return prealloc, nil
}

func (op *avgPoolGradOp) ReturnsPtr() bool      { return false }
func (op *avgPoolGradOp) CallsExtern() bool     { return false }
func (op *avgPoolGradOp) OverwritesInput() int  { return -1 }
func (op *avgPoolGradOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op *avgPoolGradOp) Hashcode() uint32      { return hashOf(op) }

func hashOf(op G.Op) uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

// poolBuffers checks that an op got one float32 input of shape inShape and a
// float32 destination of shape outShape, and returns their data.
func poolBuffers(inputs []G.Value, dst G.Value, inShape, outShape []int) (in, out []float32, err error) {
	if len(inputs) != 1 {
		return nil, nil, fmt.Errorf("wants 1 input, got %d", len(inputs))
	}
	for _, v := range []struct {
		what  string
		val   G.Value
		shape []int
		data  *[]float32
	}{{"input", inputs[0], inShape, &in}, {"output", dst, outShape, &out}} {
		d, ok := v.val.Data().([]float32)
		if !ok {
			return nil, nil, fmt.Errorf("%s must be float32, got %T", v.what, v.val.Data())
		}
		if !v.val.Shape().Eq(tensor.Shape(v.shape)) {
			return nil, nil, fmt.Errorf("%s has shape %v, want %v", v.what, v.val.Shape(), v.shape)
		}
		*v.data = d
	}
	return in, out, nil
}

// avgPoolPlanes computes pooled = window sums of img / area (forward), or
// adds pooled / area to every img element of each window (backward).
func avgPoolPlanes(win window, in [4]int, out [2]int, img, pooled []float32, backward bool) {
	h, w, oh, ow := in[2], in[3], out[0], out[1]
	inv := 1 / float32(win.kernel[0]*win.kernel[1])
	for plane := 0; plane < in[0]*in[1]; plane++ {
		src := img[plane*h*w : (plane+1)*h*w]
		dst := pooled[plane*oh*ow : (plane+1)*oh*ow]
		for oy := 0; oy < oh; oy++ {
			y0 := oy*win.stride[0] - win.padding[0]
			y1 := min(y0+win.kernel[0], h)
			y0 = max(y0, 0)
			for ox := 0; ox < ow; ox++ {
				x0 := ox*win.stride[1] - win.padding[1]
				x1 := min(x0+win.kernel[1], w)
				x0 = max(x0, 0)
				if backward {
					g := dst[oy*ow+ox] * inv
					for y := y0; y < y1; y++ {
						row := src[y*w+x0 : y*w+x1]
						for i := range row {
							row[i] += g
						}
					}
					continue
				}
				var s float32
				for y := y0; y < y1; y++ {
					for _, v := range src[y*w+x0 : y*w+x1] {
						s += v
					}
				}
				dst[oy*ow+ox] = s * inv
			}
		}
	}
}
