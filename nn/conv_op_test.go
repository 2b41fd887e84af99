package nn

import (
	"fmt"
	"github.com/gozoo/gozoo/backend/gemm"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/internal/testutil"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// naiveIm2col is the definition im2col's fast paths must agree with.
func naiveIm2col(g convGeom, x []float32) []float32 {
	col := make([]float32, g.k()*g.p())
	for c := 0; c < g.c; c++ {
		for i := 0; i < g.kh; i++ {
			for j := 0; j < g.kw; j++ {
				row := (c*g.kh+i)*g.kw + j
				for oy := 0; oy < g.oh; oy++ {
					for ox := 0; ox < g.ow; ox++ {
						iy, ix := oy*g.sh-g.ph+i, ox*g.sw-g.pw+j
						if iy >= 0 && iy < g.h && ix >= 0 && ix < g.w {
							col[row*g.p()+oy*g.ow+ox] = x[(c*g.h+iy)*g.w+ix]
						}
					}
				}
			}
		}
	}
	return col
}

// randomGeom draws a convolution geometry with up to 3 channels, kernels
// up to 5, strides up to 3 and padding up to 5 (so a patch can lie wholly in
// the padding), or reports false if the kernel does not fit.
func randomGeom(rng *rand.Rand) (convGeom, bool) {
	win := window{
		kernel:  [2]int{1 + rng.IntN(5), 1 + rng.IntN(5)},
		stride:  [2]int{1 + rng.IntN(3), 1 + rng.IntN(3)},
		padding: [2]int{rng.IntN(6), rng.IntN(6)},
	}
	h, w := 1+rng.IntN(8), 1+rng.IntN(8)
	oh, ow, err := win.outputHW(h, w)
	if err != nil {
		return convGeom{}, false
	}
	return convGeom{c: 1 + rng.IntN(3), h: h, w: w, o: 1 + rng.IntN(4), kh: win.kernel[0], kw: win.kernel[1],
		sh: win.stride[0], sw: win.stride[1], ph: win.padding[0], pw: win.padding[1], oh: oh, ow: ow}, true
}

// transpose returns the [cols, rows] transpose of the row-major m [rows, cols].
func transpose(m []float32, rows, cols int) []float32 {
	t := make([]float32, len(m))
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			t[c*rows+r] = m[r*cols+c]
		}
	}
	return t
}

func TestColumnLayoutsMatchTheDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for trial := 0; trial < 300; trial++ {
		g, ok := randomGeom(rng)
		if !ok {
			continue
		}
		x := randomSlice(rng, g.c*g.h*g.w, 1)
		want := naiveIm2col(g, x)
		for _, layout := range []struct {
			name    string
			want    []float32
			fill    func(x, col []float32)
			adjoint func(col, dx []float32)
		}{
			{"im2col", want, g.im2col, g.col2im},
			{"im2row", transpose(want, g.k(), g.p()), g.im2row, g.row2im},
		} {
			got := make([]float32, len(want))
			for i := range got {
				got[i] = 99 // every element must be written
			}
			layout.fill(x, got)
			for i := range got {
				if got[i] != layout.want[i] {
					t.Fatalf("%s %v: element %d = %v, want %v", layout.name, g, i, got[i], layout.want[i])
				}
			}
			// The adjoint is the transpose: <fill(x), y> == <x, adjoint(y)>.
			y := randomSlice(rng, len(want), 1)
			dx := make([]float32, len(x))
			layout.adjoint(y, dx)
			var a, b float64
			for i := range y {
				a += float64(got[i]) * float64(y[i])
			}
			for i := range x {
				b += float64(x[i]) * float64(dx[i])
			}
			if d := a - b; d > 1e-4 || d < -1e-4 {
				t.Fatalf("%s %v: <fill x, y> = %v but <x, adjoint y> = %v", layout.name, g, a, b)
			}
		}
	}
}

// naiveConvGrads returns dx, dw and db of the convolution g for input x,
// weights w and output gradient dy, element by element in float64.
func naiveConvGrads(g convGeom, batch int, x, w, dy []float32) (dx, dw, db []float64) {
	dx = make([]float64, batch*g.c*g.h*g.w)
	dw = make([]float64, g.o*g.k())
	db = make([]float64, g.o)
	for n := 0; n < batch; n++ {
		for o := 0; o < g.o; o++ {
			for oy := 0; oy < g.oh; oy++ {
				for ox := 0; ox < g.ow; ox++ {
					d := float64(dy[((n*g.o+o)*g.oh+oy)*g.ow+ox])
					db[o] += d
					for c := 0; c < g.c; c++ {
						for i := 0; i < g.kh; i++ {
							for j := 0; j < g.kw; j++ {
								iy, ix := oy*g.sh-g.ph+i, ox*g.sw-g.pw+j
								if iy < 0 || iy >= g.h || ix < 0 || ix >= g.w {
									continue
								}
								xi := ((n*g.c+c)*g.h+iy)*g.w + ix
								wi := ((o*g.c+c)*g.kh+i)*g.kw + j
								dx[xi] += d * float64(w[wi])
								dw[wi] += d * float64(x[xi])
							}
						}
					}
				}
			}
		}
	}
	return dx, dw, db
}

func f64s(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// convOpResults runs the forward op and the three gradient ops once.
func convOpResults(t *testing.T, st *convState, batch int, x, w, b, dy []float32) (y, dx, dw, db []float32) {
	t.Helper()
	g := st.geom
	dense := func(data []float32, shape ...int) *tensor.Dense {
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
	}
	in := []G.Value{dense(x, batch, g.c, g.h, g.w), dense(w, g.o, g.c, g.kh, g.kw)}
	if g.bias {
		in = append(in, dense(b, g.o))
	}
	data := func(v G.Value, err error) []float32 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v.Data().([]float32)
	}
	y = data(convOp{st}.Do(in...))
	yv, dyv := dense(y, batch, g.o, g.oh, g.ow), dense(dy, batch, g.o, g.oh, g.ow)
	dx = data(convInputGradOp{convGradBase{st}}.Do(in[1], dyv))
	dw = data(convWeightGradOp{convGradBase{st}}.Do(yv, dyv))
	db = data(convBiasGradOp{convGradBase{st}}.Do(dyv))
	return y, dx, dw, db
}

// TestConvOpMatchesTheDefinition runs the ops directly in every combination
// of column layout, input-gradient product and worker count, on batches of
// different images whose output gradients are half zeros (as after a ReLU),
// twice with fresh data so that nothing from one run or image leaks into
// another. All must match the definition, and the worker count must not
// change a bit.
func TestConvOpMatchesTheDefinition(t *testing.T) {
	defer func(f func() int) { convWorkers = f }(convWorkers)
	rng := rand.New(rand.NewPCG(7, 8))
	for trial := 0; trial < 60; trial++ {
		g, ok := randomGeom(rng)
		if !ok {
			continue
		}
		g.bias = trial%2 == 0
		batch := 1 + rng.IntN(20) // up to 3 weight-gradient groups
		states := map[string]*convState{}
		for _, rows := range []bool{false, true} {
			for _, method := range []int{1, 2} {
				for _, workers := range []int{1, 3} {
					states[fmt.Sprintf("rows=%v dx=%d workers=%d", rows, method, workers)] =
						&convState{geom: g, rows: rows, keep: true, inputGradMethod: method}
				}
			}
		}
		for run := 0; run < 2; run++ {
			x := randomSlice(rng, batch*g.c*g.h*g.w, 1)
			w := randomSlice(rng, g.o*g.k(), 1)
			b := randomSlice(rng, g.o, 1)
			dy := randomSlice(rng, batch*g.o*g.p(), 1)
			for i := range dy {
				if rng.IntN(2) == 0 {
					dy[i] = 0
				}
			}
			var bias []float32
			if g.bias {
				bias = b
			}
			wantY := naiveConv2D(x, batch, g.c, g.h, g.w, w, g.o, g.kh, g.kw, bias, [2]int{g.sh, g.sw}, [2]int{g.ph, g.pw})
			wantDX, wantDW, wantDB := naiveConvGrads(g, batch, x, w, dy)
			results := map[string][4][]float32{}
			for name, st := range states {
				convWorkers = func() int { return 1 }
				if strings.HasSuffix(name, "workers=3") {
					convWorkers = func() int { return 3 }
				}
				what := fmt.Sprintf("%v batch %d run %d %s", g, batch, run, name)
				y, dx, dw, db := convOpResults(t, st, batch, x, w, b, dy)
				testutil.AllClose(t, what+": y", f64s(y), wantY, 1e-5, 1e-5)
				testutil.AllClose(t, what+": dx", f64s(dx), wantDX, 1e-5, 1e-5)
				testutil.AllClose(t, what+": dw", f64s(dw), wantDW, 1e-4, 1e-5)
				if g.bias {
					testutil.AllClose(t, what+": db", f64s(db), wantDB, 1e-4, 1e-5)
				}
				results[name] = [4][]float32{y, dx, dw, db}
			}
			// The number of workers never changes a bit.
			for _, rows := range []bool{false, true} {
				for _, method := range []int{1, 2} {
					one := results[fmt.Sprintf("rows=%v dx=%d workers=1", rows, method)]
					three := results[fmt.Sprintf("rows=%v dx=%d workers=3", rows, method)]
					for k, what := range []string{"y", "dx", "dw", "db"} {
						if !slices.Equal(one[k], three[k]) {
							t.Fatalf("%v batch %d rows=%v dx=%d: 3 workers give a different %s from 1", g, batch, rows, method, what)
						}
					}
				}
			}
		}
	}
}

func TestConvOpErrors(t *testing.T) {
	g := convGeom{c: 1, h: 4, w: 4, o: 2, kh: 3, kw: 3, sh: 1, sw: 1, oh: 2, ow: 2, bias: true}
	st := &convState{geom: g, keep: true}
	dense := func(shape ...int) *tensor.Dense {
		n := 1
		for _, d := range shape {
			n *= d
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(make([]float32, n)))
	}
	x, w, b := dense(3, 1, 4, 4), dense(2, 1, 3, 3), dense(2)
	dy := dense(3, 2, 2, 2)
	tests := []struct {
		name string
		do   func() (G.Value, error)
		err  string
	}{
		{"weight gradient before a forward pass", func() (G.Value, error) {
			return convWeightGradOp{convGradBase{st}}.Do(dy, dy)
		}, "no columns from a forward pass"},
		{"missing bias", func() (G.Value, error) { return convOp{st}.Do(x, w) }, "wants 3 inputs, got 2"},
		{"wrong bias", func() (G.Value, error) { return convOp{st}.Do(x, w, dense(3)) }, "got 3 biases"},
		{"wrong channels", func() (G.Value, error) { return convOp{st}.Do(dense(3, 2, 4, 4), w, b) }, "got input (3, 2, 4, 4)"},
		{"wrong weights", func() (G.Value, error) { return convOp{st}.Do(x, dense(2, 1, 2, 1), b) }, "and 4 weights"},
		{"wrong gradient", func() (G.Value, error) {
			return convInputGradOp{convGradBase{st}}.Do(w, dense(3, 2, 3, 3))
		}, "gradient (3, 2, 3, 3) does not fit"},
		{"float64", func() (G.Value, error) {
			return convOp{st}.Do(tensor.New(tensor.WithShape(3, 1, 4, 4), tensor.Of(tensor.Float64)), w, b)
		}, "want float32 data"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.do()
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error = %v, want one containing %q", err, tc.err)
			}
		})
	}
	// A forward pass over another batch size leaves no columns for this one.
	if _, err := (convOp{st}).Do(dense(2, 1, 4, 4), w, b); err != nil {
		t.Fatal(err)
	}
	if _, err := (convWeightGradOp{convGradBase{st}}).Do(dy, dy); err == nil {
		t.Fatal("weight gradient for batch 3 after a forward pass over 2 images: no error")
	}
}

func TestGemmTilesMatchOneProduct(t *testing.T) {
	// Sizes past gemm's 64x192 tiles in both directions, with leading
	// dimensions larger than the matrices.
	G.Use(gonum.Implementation{}) // the tiling is gonum's
	defer G.Use(gemm.Implementation{})
	rng := rand.New(rand.NewPCG(3, 4))
	const m, n, k, pad = 150, 410, 37, 3
	for _, tA := range []blas.Transpose{blas.NoTrans, blas.Trans} {
		for _, tB := range []blas.Transpose{blas.NoTrans, blas.Trans} {
			lda, ldb := k+pad, n+pad
			if tA == blas.Trans {
				lda = m + pad
			}
			if tB == blas.Trans {
				ldb = k + pad
			}
			a := randomSlice(rng, max(m, k)*lda, 1)
			b := randomSlice(rng, max(n, k)*ldb, 1)
			c0 := randomSlice(rng, m*(n+pad), 1)
			want, got := slices.Clone(c0), slices.Clone(c0)
			gonum.Implementation{}.Sgemm(tA, tB, m, n, k, 1, a, lda, b, ldb, 0.5, want, n+pad)
			mulMat(tA, tB, m, n, k, a, lda, b, ldb, 0.5, got, n+pad)
			if !slices.Equal(got, want) {
				t.Errorf("tA=%c tB=%c: tiled product differs", tA, tB)
			}
		}
	}
}

func TestUseRowsForLeNet5(t *testing.T) {
	for _, training := range []bool{false, true} {
		if useRows(lenetConv2, training) {
			t.Errorf("training=%v: conv2 (K 150, P 100) uses rows under gemm's kernels, want columns", training)
		}
	}
	// Under gonum, the layouts measured fastest for LeNet-5's layers
	// (docs/cnn.md).
	G.Use(gonum.Implementation{})
	defer G.Use(gemm.Implementation{})
	conv1 := convGeom{c: 1, h: 28, w: 28, o: 6, kh: 5, kw: 5, sh: 1, sw: 1, ph: 2, pw: 2, oh: 28, ow: 28}
	for _, training := range []bool{false, true} {
		if useRows(conv1, training) {
			t.Errorf("training=%v: conv1 (K 25, P 784) uses rows, want columns", training)
		}
		if !useRows(lenetConv2, training) {
			t.Errorf("training=%v: conv2 (K 150, P 100) uses columns, want rows", training)
		}
	}
}

// lenetConv2 is LeNet-5's second convolution: 6x14x14 -> 16x10x10, kernel 5.
var lenetConv2 = convGeom{c: 6, h: 14, w: 14, o: 16, kh: 5, kw: 5, sh: 1, sw: 1, oh: 10, ow: 10}

func BenchmarkColumns(b *testing.B) {
	g := lenetConv2
	x := randomSlice(rand.New(rand.NewPCG(1, 1)), g.c*g.h*g.w, 1)
	col := make([]float32, g.k()*g.p())
	dx := make([]float32, len(x))
	for _, bc := range []struct {
		name string
		f    func()
	}{
		{"im2col", func() { g.im2col(x, col) }},
		{"im2row", func() { g.im2row(x, col) }},
		{"col2im", func() { g.col2im(col, dx) }},
		{"row2im", func() { g.row2im(col, dx) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				bc.f()
			}
		})
	}
}
