package nn

// The loops under the convolution op: column matrices in two layouts, their
// adjoints, matrix products tiled for gonum, and a worker pool over images.

import (
	"fmt"
	"github.com/gozoo/gozoo/backend/gemm"
	"github.com/gozoo/gozoo/internal/vec"
	"runtime"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"
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

func (g convGeom) k() int { return g.c * g.kh * g.kw } // patch size: a weight row
func (g convGeom) p() int { return g.oh * g.ow }       // output pixels per channel

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
	if g.sw == 1 {
		g.im2colStride1(x, col)
		return
	}
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
					for ox, ix := lo, lo*g.sw-g.pw+j; ox < hi; ox, ix = ox+1, ix+g.sw {
						out[ox] = src[ix]
					}
				}
			}
		}
	}
}

// im2colStride1 is im2col for a horizontal stride of 1, where each output
// row of a column-matrix row is one run of the input row, copied by
// package vec: LeNet-5's runs are 10 to 28 values, so slicing and calling
// copy for each would cost as much as the copy.
func (g convGeom) im2colStride1(x, col []float32) {
	p, ow, w := g.p(), g.ow, g.w
	if len(x) < g.c*g.h*w || len(col) < g.k()*p {
		panic(fmt.Sprintf("nn: im2col %v: image of %d values, columns of %d", g, len(x), len(col)))
	}
	for c := 0; c < g.c; c++ {
		for i := 0; i < g.kh; i++ {
			oy0, oy1 := g.insideRows(i)
			for j := 0; j < g.kw; j++ {
				dst := col[((c*g.kh+i)*g.kw+j)*p:][:p]
				clear(dst[:oy0*ow])
				clear(dst[oy1*ow:])
				lo, hi := g.span(j)
				n := hi - lo
				if oy0 == oy1 {
					continue
				}
				if n == 0 {
					clear(dst[oy0*ow : oy1*ow])
					continue
				}
				if lo > 0 || hi < ow {
					clear(dst[oy0*ow : oy1*ow]) // the padding columns; one call
				}
				vec.Copy(dst[oy0*ow+lo:], x[(c*g.h+oy0*g.sh-g.ph+i)*w+lo-g.pw+j:], n, oy1-oy0, ow, g.sh*w)
			}
		}
	}
}

// col2im adds the column matrix col [K, P] into the image dx [C, H, W]: the
// transpose of im2col.
func (g convGeom) col2im(col, dx []float32) {
	if g.sw == 1 {
		g.col2imStride1(col, dx)
		return
	}
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

// col2imStride1 is col2im for a horizontal stride of 1: the transpose of
// im2colStride1, adding the same runs in the same order.
func (g convGeom) col2imStride1(col, dx []float32) {
	p, ow, w := g.p(), g.ow, g.w
	if len(dx) < g.c*g.h*w || len(col) < g.k()*p {
		panic(fmt.Sprintf("nn: col2im %v: image of %d values, columns of %d", g, len(dx), len(col)))
	}
	for c := 0; c < g.c; c++ {
		for i := 0; i < g.kh; i++ {
			oy0, oy1 := g.insideRows(i)
			if oy0 == oy1 {
				continue
			}
			for j := 0; j < g.kw; j++ {
				lo, hi := g.span(j)
				if hi == lo {
					continue
				}
				src := col[((c*g.kh+i)*g.kw+j)*p:][:p]
				vec.Add(dx[(c*g.h+oy0*g.sh-g.ph+i)*w+lo-g.pw+j:], src[oy0*ow+lo:], hi-lo, oy1-oy0, g.sh*w, ow)
			}
		}
	}
}

// insideRows returns the output rows [oy0, oy1) whose input row for kernel
// row i, oy*sh-ph+i, is inside the image.
func (g convGeom) insideRows(i int) (oy0, oy1 int) {
	oy0, oy1 = 0, g.oh
	for oy0 < oy1 && oy0*g.sh-g.ph+i < 0 {
		oy0++
	}
	for oy1 > oy0 && (oy1-1)*g.sh-g.ph+i >= g.h {
		oy1--
	}
	return oy0, oy1
}

// inside returns the kernel columns j in [lo, hi) that fall inside the image
// for output column ox.
func (g convGeom) inside(ox int) (ix0, lo, hi int) {
	ix0 = ox*g.sw - g.pw
	lo, hi = max(0, -ix0), min(g.kw, g.w-ix0)
	return ix0, lo, max(lo, hi)
}

// im2row writes the transposed column matrix of one image into rows [P, K]:
// row (oy, ox) is the patch under that output pixel, in the order (c, i, j)
// of a weight row, zero where it falls in the padding.
func (g convGeom) im2row(x, rows []float32) {
	k, kw, plane := g.k(), g.kw, g.h*g.w
	for oy := 0; oy < g.oh; oy++ {
		for ox := 0; ox < g.ow; ox++ {
			dst := rows[(oy*g.ow+ox)*k:][:k]
			ix0, lo, hi := g.inside(ox)
			if lo > 0 || hi < kw {
				g.im2rowEdge(x, dst, oy, ix0, lo, hi)
				continue
			}
			for c := 0; c < g.c; c++ {
				img := x[c*plane:][:plane]
				for i := 0; i < g.kh; i++ {
					d := dst[(c*g.kh+i)*kw:][:kw]
					iy := oy*g.sh - g.ph + i
					if uint(iy) >= uint(g.h) {
						clear(d)
						continue
					}
					s := img[iy*g.w+ix0:]
					s = s[:len(d)]
					for j, v := range s {
						d[j] = v
					}
				}
			}
		}
	}
}

// im2rowEdge is im2row for an output pixel whose patch overlaps the left or
// right padding: only kernel columns [lo, hi) are inside the image.
func (g convGeom) im2rowEdge(x, dst []float32, oy, ix0, lo, hi int) {
	clear(dst)
	if lo == hi {
		return
	}
	for c := 0; c < g.c; c++ {
		for i := 0; i < g.kh; i++ {
			iy := oy*g.sh - g.ph + i
			if uint(iy) >= uint(g.h) {
				continue
			}
			copy(dst[(c*g.kh+i)*g.kw+lo:][:hi-lo], x[(c*g.h+iy)*g.w+ix0+lo:])
		}
	}
}

// row2im adds rows [P, K] into the image dx [C, H, W]: the transpose of
// im2row.
func (g convGeom) row2im(rows, dx []float32) {
	k, kw, plane := g.k(), g.kw, g.h*g.w
	for oy := 0; oy < g.oh; oy++ {
		for ox := 0; ox < g.ow; ox++ {
			src := rows[(oy*g.ow+ox)*k:][:k]
			ix0, lo, hi := g.inside(ox)
			if lo == hi {
				continue
			}
			for c := 0; c < g.c; c++ {
				img := dx[c*plane:][:plane]
				for i := 0; i < g.kh; i++ {
					iy := oy*g.sh - g.ph + i
					if uint(iy) >= uint(g.h) {
						continue
					}
					s := src[(c*g.kh+i)*kw+lo:][:hi-lo]
					d := img[iy*g.w+ix0+lo:]
					d = d[:len(s)]
					for j, v := range s {
						d[j] += v
					}
				}
			}
		}
	}
}

// Rough costs in ns of the kernels under gonum's Sgemm (AxpyUnitary and
// DotUnitary in gonum's internal/asm/f32): a call plus each element,
// measured at LeNet-5's layer sizes on a 2-core AMD EPYC. They only choose
// between equally accurate computations, so a wrong guess costs time, not
// correctness.
func axpyCost(n int) float64 { return 8 + 0.16*float64(n) }
func dotCost(n int) float64  { return 12 + 0.065*float64(n) }

// dyDensity is the share of non-zero output gradients assumed when choosing
// a layout: a ReLU alone leaves about half, a 2x2 max pool a quarter.
const dyDensity = 0.5

// useRows says whether a convolution should keep its columns as rows
// [P, K] (im2row) rather than [K, P] (im2col), from the gonum kernels each
// layout leads to. With rows, the forward pass is O*P dot products of
// length K and the weight gradient O*P axpys of length K that skip zero
// output gradients; with columns, O*K axpys and O*K dot products of length
// P. LeNet-5's first layer (K 25, P 784) wants columns, its second (K 150,
// P 100) rows.
func useRows(g convGeom, training bool) bool {
	if _, ok := sgemm().(gemm.Implementation); ok {
		// gemm's kernels read a [K, P] column matrix in place, and im2col
		// and col2im copy longer runs than im2row and row2im.
		return false
	}
	o, k, p := float64(g.o), g.k(), g.p()
	rows := o * float64(p) * dotCost(k)
	cols := o * float64(k) * axpyCost(p)
	if training {
		rows += o * float64(p) * dyDensity * axpyCost(k)
		cols += o * float64(k) * dotCost(p)
	}
	return rows < cols
}

// sparseInputGrad says whether one image's input gradient is cheaper as
// dy^T x W, which gonum's kernels make skip the zeros of dy (nonZero of
// them are left), than as W^T x dy. The two add dx's terms in different orders, so the choice, made
// from the data alone, can change the last bits.
func sparseInputGrad(g convGeom, nonZero int) bool {
	if _, ok := sgemm().(gemm.Implementation); ok {
		return false // gemm's kernels do not skip zeros
	}
	return float64(nonZero)*axpyCost(g.k()) < float64(g.o*g.k())*axpyCost(g.p())
}

// sgemm is the matrix product of the BLAS Gorgonia uses (package backend
// can switch it to OpenBLAS).
func sgemm() blas.Float32 { return G.WhichBLAS() }

// mulMat computes c = op(a) x op(b) + beta*c through sgemm. For gonum it cuts
// c into tiles of at most 64x192, which gonum multiplies serially: at
// convolution sizes its goroutine hand-off per 64x64 block costs more than
// it saves (LeNet-5's first layer: 41 us a product in parallel, 20 us in
// tiles), and the op already spreads images over the cores. A tile adds
// the same products in the same order as the whole.
func mulMat(tA, tB blas.Transpose, m, n, k int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	impl := sgemm()
	if _, ok := impl.(gemm.Implementation); ok {
		// The op spreads images over the cores itself.
		gemm.SgemmSerial(tA != blas.NoTrans, tB != blas.NoTrans, m, n, k, 1, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if _, ok := impl.(gonum.Implementation); !ok {
		impl.Sgemm(tA, tB, m, n, k, 1, a, lda, b, ldb, beta, c, ldc)
		return
	}
	const tm, tn = 64, 192
	for i := 0; i < m; i += tm {
		ai := a[i:] // op(a)'s rows from i on
		if tA == blas.NoTrans {
			ai = a[i*lda:]
		}
		for j := 0; j < n; j += tn {
			bj := b[j:] // op(b)'s columns from j on
			if tB == blas.Trans {
				bj = b[j*ldb:]
			}
			impl.Sgemm(tA, tB, min(tm, m-i), min(tn, n-j), k, 1, ai, lda, bj, ldb, beta, c[i*ldc+j:], ldc)
		}
	}
}

// convWorkers is how many goroutines a convolution spreads its images over,
// and max pooling and ReLU their planes and chunks. Results do not depend
// on it (tests change it).
var convWorkers = func() int { return runtime.GOMAXPROCS(0) }

// parallel calls f(worker, i) for every i in [0, n) on up to workers
// goroutines; worker, in [0, workers), names the caller's scratch buffers.
func parallel(n, workers int, f func(worker, i int)) {
	if workers > n {
		workers = n
	}
	if workers <= 1 {
		for i := 0; i < n; i++ {
			f(0, i)
		}
		return
	}
	var next atomic.Int64
	work := func(worker int) {
		for {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			f(worker, i)
		}
	}
	var wg sync.WaitGroup
	for w := 1; w < workers; w++ {
		wg.Go(func() { work(w) })
	}
	work(0)
	wg.Wait()
}
