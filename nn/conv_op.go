package nn

// A direct NCHW convolution op. Gorgonia's Conv2d computes im2col into fresh
// memory, multiplies, then transposes NHWC to NCHW, and a bias needs a
// separate broadcast; together that was half of LeNet-5's training time.
// This op writes each image's output straight from one matrix product,
// W[O, C*kh*kw] x col[C*kh*kw, OH*OW], adds the bias in place, keeps the
// column matrices of the batch for the weight gradient, and reuses its
// buffers from run to run.

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"gonum.org/v1/gonum/blas"
)

// convGeom is the shape of one convolution.
type convGeom struct {
	c, h, w    int // input channels, height, width
	o          int // output channels
	kh, kw     int
	sh, sw     int
	ph, pw     int
	oh, ow     int
	bias       bool
	inputGrads bool // whether the input needs a gradient
}

func (g convGeom) k() int { return g.c * g.kh * g.kw } // rows of a column matrix
func (g convGeom) p() int { return g.oh * g.ow }       // columns: output pixels

func (g convGeom) String() string {
	return fmt.Sprintf("%dx%dx%d->%d k%dx%d s%dx%d p%dx%d bias=%v dx=%v",
		g.c, g.h, g.w, g.o, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.bias, g.inputGrads)
}

// span returns the output columns ox in [lo, hi) whose input column
// ox*sw - pw + j lies inside the image, for kernel column j.
func (g convGeom) span(j int) (lo, hi int) {
	// ix = ox*sw - pw + j >= 0  <=>  ox >= ceil((pw - j) / sw)
	lo = 0
	if d := g.pw - j; d > 0 {
		lo = (d + g.sw - 1) / g.sw
	}
	// ix <= w - 1  <=>  ox <= floor((w - 1 + pw - j) / sw)
	last := g.w - 1 + g.pw - j
	if last < 0 {
		return lo, lo
	}
	hi = min(g.ow, last/g.sw+1)
	return lo, max(lo, hi)
}

// im2col writes the column matrix of one image x [C, H, W] into col [K, P]:
// row (c, i, j) holds x[c][oy*sh-ph+i][ox*sw-pw+j] for every output pixel,
// zero where that falls in the padding.
func (g convGeom) im2col(x, col []float32) {
	p := g.p()
	row := 0
	for c := 0; c < g.c; c++ {
		img := x[c*g.h*g.w : (c+1)*g.h*g.w]
		for i := 0; i < g.kh; i++ {
			for j := 0; j < g.kw; j++ {
				dst := col[row*p : (row+1)*p]
				row++
				lo, hi := g.span(j)
				for oy := 0; oy < g.oh; oy++ {
					out := dst[oy*g.ow : (oy+1)*g.ow]
					iy := oy*g.sh - g.ph + i
					if iy < 0 || iy >= g.h {
						clear(out)
						continue
					}
					clear(out[:lo])
					clear(out[hi:])
					src := img[iy*g.w : (iy+1)*g.w]
					if g.sw == 1 {
						copy(out[lo:hi], src[lo-g.pw+j:])
						continue
					}
					for ox, ix := lo, lo*g.sw-g.pw+j; ox < hi; ox, ix = ox+1, ix+g.sw {
						out[ox] = src[ix]
					}
				}
			}
		}
	}
}

// col2im adds the column matrix col [K, P] into the image dx [C, H, W]: the
// transpose of im2col.
func (g convGeom) col2im(col, dx []float32) {
	p := g.p()
	row := 0
	for c := 0; c < g.c; c++ {
		img := dx[c*g.h*g.w : (c+1)*g.h*g.w]
		for i := 0; i < g.kh; i++ {
			for j := 0; j < g.kw; j++ {
				src := col[row*p : (row+1)*p]
				row++
				lo, hi := g.span(j)
				for oy := 0; oy < g.oh; oy++ {
					iy := oy*g.sh - g.ph + i
					if iy < 0 || iy >= g.h {
						continue
					}
					in := src[oy*g.ow : (oy+1)*g.ow]
					dst := img[iy*g.w : (iy+1)*g.w]
					for ox, ix := lo, lo*g.sw-g.pw+j; ox < hi; ox, ix = ox+1, ix+g.sw {
						dst[ix] += in[ox]
					}
				}
			}
		}
	}
}

func tensorType(dims int) G.TensorType { return G.TensorType{Dims: dims, Of: hm.TypeVariable('a')} }

// convState is shared by a convolution and its gradient ops: the column
// matrices of the last forward run, one per image.
type convState struct {
	geom  convGeom
	cols  []float32 // batch * K * P
	batch int
}

func newFloat32s(buf []float32, n int) []float32 {
	if cap(buf) < n {
		return make([]float32, n)
	}
	return buf[:n]
}

// sgemm is the matrix product of the BLAS Gorgonia uses (package backend
// can switch it to OpenBLAS).
func sgemm() blas.Float32 { return G.WhichBLAS() }

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

func (op convOp) Do(inputs ...G.Value) (G.Value, error) {
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
	g := op.st.geom
	if len(xs) != 4 || xs[1] != g.c || xs[2] != g.h || xs[3] != g.w || len(w) != g.o*g.k() {
		return nil, fmt.Errorf("nn: conv2d %v got input %v and %d weights", g, xs, len(w))
	}
	batch, k, p := xs[0], g.k(), g.p()
	op.st.batch = batch
	op.st.cols = newFloat32s(op.st.cols, batch*k*p)
	out := make([]float32, batch*g.o*p)
	var b []float32
	if g.bias {
		if b, _, err = float32s(inputs[2]); err != nil {
			return nil, err
		}
	}
	for n := 0; n < batch; n++ {
		col := op.st.cols[n*k*p : (n+1)*k*p]
		g.im2col(x[n*g.c*g.h*g.w:(n+1)*g.c*g.h*g.w], col)
		y := out[n*g.o*p : (n+1)*g.o*p]
		beta := float32(0)
		if b != nil {
			for o := 0; o < g.o; o++ {
				row := y[o*p : (o+1)*p]
				for i := range row {
					row[i] = b[o]
				}
			}
			beta = 1
		}
		sgemm().Sgemm(blas.NoTrans, blas.NoTrans, g.o, p, k, 1, w, k, col, p, beta, y, p)
	}
	return tensor.New(tensor.WithShape(batch, g.o, g.oh, g.ow), tensor.WithBacking(out)), nil
}

func (op convOp) DiffWRT(n int) []bool {
	d := []bool{op.st.geom.inputGrads, true, true}
	return d[:n]
}

func (op convOp) SymDiff(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	out := make(G.Nodes, len(inputs))
	var err error
	if op.st.geom.inputGrads {
		if out[0], err = G.ApplyOp(convInputGradOp{convGradBase{op.st}}, inputs[1], grad); err != nil {
			return nil, err
		}
	}
	if out[1], err = G.ApplyOp(convWeightGradOp{convGradBase{op.st}}, inputs[0], grad); err != nil {
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

// gradOf checks the upstream gradient dy [B, O, OH, OW].
func (b convGradBase) gradOf(v G.Value) ([]float32, int, error) {
	dy, s, err := float32s(v)
	if err != nil {
		return nil, 0, err
	}
	g := b.st.geom
	if len(s) != 4 || s[1] != g.o || s[2] != g.oh || s[3] != g.ow || s[0] != b.st.batch {
		return nil, 0, fmt.Errorf("nn: conv2d gradient %v does not fit %v with batch %d", s, g, b.st.batch)
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

func (op convInputGradOp) Do(inputs ...G.Value) (G.Value, error) {
	w, _, err := float32s(inputs[0])
	if err != nil {
		return nil, err
	}
	dy, batch, err := op.gradOf(inputs[1])
	if err != nil {
		return nil, err
	}
	g := op.st.geom
	k, p, img := g.k(), g.p(), g.c*g.h*g.w
	dcol := make([]float32, k*p)
	dx := make([]float32, batch*img)
	for n := 0; n < batch; n++ {
		sgemm().Sgemm(blas.Trans, blas.NoTrans, k, p, g.o, 1, w, k, dy[n*g.o*p:(n+1)*g.o*p], p, 0, dcol, p)
		g.col2im(dcol, dx[n*img:(n+1)*img])
	}
	return tensor.New(tensor.WithShape(batch, g.c, g.h, g.w), tensor.WithBacking(dx)), nil
}

// convWeightGradOp computes dw [O, C, kh, kw] from the forward run's column
// matrices and dy. Its first input, x, only orders it after the forward op.
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

func (op convWeightGradOp) Do(inputs ...G.Value) (G.Value, error) {
	dy, batch, err := op.gradOf(inputs[1])
	if err != nil {
		return nil, err
	}
	g := op.st.geom
	k, p := g.k(), g.p()
	if len(op.st.cols) != batch*k*p {
		return nil, fmt.Errorf("nn: conv2d weight gradient ran before its forward pass")
	}
	dw := make([]float32, g.o*k)
	for n := 0; n < batch; n++ {
		sgemm().Sgemm(blas.NoTrans, blas.Trans, g.o, k, p, 1, dy[n*g.o*p:(n+1)*g.o*p], p,
			op.st.cols[n*k*p:(n+1)*k*p], p, 1, dw, k)
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

func (op convBiasGradOp) Do(inputs ...G.Value) (G.Value, error) {
	dy, batch, err := op.gradOf(inputs[0])
	if err != nil {
		return nil, err
	}
	g := op.st.geom
	p := g.p()
	db := make([]float32, g.o)
	for n := 0; n < batch; n++ {
		for o := 0; o < g.o; o++ {
			var s float32
			for _, v := range dy[(n*g.o+o)*p : (n*g.o+o+1)*p] {
				s += v
			}
			db[o] += s
		}
	}
	return tensor.New(tensor.WithShape(g.o), tensor.WithBacking(db)), nil
}
