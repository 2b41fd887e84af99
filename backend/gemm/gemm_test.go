package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// useKernel makes Sgemm use the named kernel until t ends.
func useKernel(t testing.TB, name string) {
	t.Helper()
	old := active
	if err := Use(name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { active = old })
}

type shape struct {
	transA, transB bool
	m, n, k        int
	padA, padB     int // extra elements per row, so ld > columns
	padC           int
	alpha, beta    float32
}

func (s shape) String() string {
	return fmt.Sprintf("tA=%v,tB=%v,%dx%dx%d,pad=%d/%d/%d,alpha=%g,beta=%g",
		s.transA, s.transB, s.m, s.n, s.k, s.padA, s.padB, s.padC, s.alpha, s.beta)
}

// operands returns random a, b and c for s, with their leading dimensions.
func (s shape) operands(rng *rand.Rand) (a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	ar, ac := s.m, s.k
	if s.transA {
		ar, ac = s.k, s.m
	}
	br, bc := s.k, s.n
	if s.transB {
		br, bc = s.n, s.k
	}
	fill := func(rows, cols, pad int) ([]float32, int) {
		ld := cols + pad
		x := make([]float32, max(0, (rows-1)*ld+cols))
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		return x, max(1, ld)
	}
	a, lda = fill(ar, ac, s.padA)
	b, ldb = fill(br, bc, s.padB)
	c, ldc = fill(s.m, s.n, s.padC)
	return
}

func randomShapes(rng *rand.Rand, n int) []shape {
	sizes := []int{1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 97, 100, 129, 257, 300}
	var out []shape
	for range n {
		s := shape{
			transA: rng.IntN(2) == 1, transB: rng.IntN(2) == 1,
			m: sizes[rng.IntN(len(sizes))], n: sizes[rng.IntN(len(sizes))], k: sizes[rng.IntN(len(sizes))],
			padA: rng.IntN(3), padB: rng.IntN(3), padC: rng.IntN(3),
			alpha: []float32{1, 1, 0.5, -2}[rng.IntN(4)], beta: []float32{0, 1, 1, 0.25}[rng.IntN(4)],
		}
		out = append(out, s)
	}
	// Inner dimensions past one block, and the shapes of gozoo's models.
	return append(out,
		shape{m: 64, n: 128, k: 784, alpha: 1},
		shape{transA: true, m: 784, n: 128, k: 64, alpha: 1, beta: 1},
		shape{transB: true, m: 64, n: 784, k: 128, alpha: 1},
		shape{m: 3, n: 1100, k: 600, alpha: 1, beta: 1},
		shape{m: 200, n: 5, k: 513, alpha: 1},
	)
}

// TestAgainstGonum compares every kernel with gonum's Sgemm on random
// shapes, transposes, strides, alphas and betas, to within the rounding
// of sums of products of that length.
func TestAgainstGonum(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	shapes := randomShapes(rng, 150)
	for _, name := range Kernels() {
		t.Run(name, func(t *testing.T) {
			useKernel(t, name)
			for _, s := range shapes {
				a, lda, b, ldb, c, ldc := s.operands(rng)
				want := append([]float32(nil), c...)
				gonum.Implementation{}.Sgemm(trans(s.transA), trans(s.transB), s.m, s.n, s.k, s.alpha, a, lda, b, ldb, s.beta, want, ldc)
				got := append([]float32(nil), c...)
				Sgemm(s.transA, s.transB, s.m, s.n, s.k, s.alpha, a, lda, b, ldb, s.beta, got, ldc)
				tol := 1e-5 * float64(s.k+1) * math.Max(1, math.Abs(float64(s.alpha)))
				for i := range want {
					if d := math.Abs(float64(got[i] - want[i])); d > tol*math.Max(1, math.Abs(float64(want[i]))) || math.IsNaN(float64(got[i])) {
						t.Fatalf("%v: c[%d] = %g, gonum gives %g", s, i, got[i], want[i])
					}
				}
				// The padding between rows of C is not C's: it must be untouched.
				for i := range s.m {
					for j := s.n; j < ldc && i*ldc+j < len(c); j++ {
						if got[i*ldc+j] != c[i*ldc+j] {
							t.Fatalf("%v: wrote c[%d], past row %d's %d columns", s, i*ldc+j, i, s.n)
						}
					}
				}
			}
		})
	}
}

func trans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

// TestKernelsAgree checks the promise in the package doc: the SIMD kernels
// give the same bits, and the portable one is within the last bit.
func TestKernelsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, s := range randomShapes(rng, 60) {
		a, lda, b, ldb, c, ldc := s.operands(rng)
		results := map[string][]float32{}
		for _, name := range Kernels() {
			useKernel(t, name)
			got := append([]float32(nil), c...)
			Sgemm(s.transA, s.transB, s.m, s.n, s.k, s.alpha, a, lda, b, ldb, s.beta, got, ldc)
			results[name] = got
		}
		ref := results[Kernels()[0]]
		for name, got := range results {
			for i := range ref {
				same := math.Float32bits(got[i]) == math.Float32bits(ref[i])
				if name != "go" && !same {
					t.Fatalf("%v: kernel %s gives c[%d] = %g, %s gives %g", s, name, i, got[i], Kernels()[0], ref[i])
				}
				if name == "go" && math.Abs(float64(got[i]-ref[i])) > 1e-6*math.Max(1, math.Abs(float64(ref[i]))) {
					t.Fatalf("%v: the go kernel gives c[%d] = %g, %s gives %g", s, i, got[i], Kernels()[0], ref[i])
				}
			}
		}
	}
}

// TestSameBitsAnyGOMAXPROCS: products large enough to be spread over
// goroutines give the same bits on one and on several.
func TestSameBitsAnyGOMAXPROCS(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, s := range []shape{
		{m: 64, n: 128, k: 784, alpha: 1},
		{transA: true, m: 784, n: 128, k: 64, alpha: 1},
		{transB: true, m: 64, n: 784, k: 128, alpha: 1, beta: 1},
		{m: 300, n: 1500, k: 300, alpha: 1},
		{m: 2, n: 4000, k: 100, alpha: 1},
	} {
		a, lda, b, ldb, c, ldc := s.operands(rng)
		var ref []float32
		for _, procs := range []int{1, 2, 3, 8} {
			runtime.GOMAXPROCS(procs)
			got := append([]float32(nil), c...)
			Sgemm(s.transA, s.transB, s.m, s.n, s.k, s.alpha, a, lda, b, ldb, s.beta, got, ldc)
			if ref == nil {
				ref = got
				continue
			}
			for i := range ref {
				if math.Float32bits(got[i]) != math.Float32bits(ref[i]) {
					t.Fatalf("%v: GOMAXPROCS=%d gives c[%d] = %g, GOMAXPROCS=1 gives %g", s, procs, i, got[i], ref[i])
				}
			}
		}
	}
}

// With beta == 0 C's old contents are ignored, NaN included, as BLAS says.
func TestBetaZeroIgnoresNaN(t *testing.T) {
	c := []float32{float32(math.NaN()), float32(math.Inf(1))}
	Sgemm(false, false, 1, 2, 1, 1, []float32{2}, 1, []float32{3, 4}, 2, 0, c, 2)
	if c[0] != 6 || c[1] != 8 {
		t.Fatalf("c = %v, want [6 8]", c)
	}
}

func TestPanicsOnShortSlices(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"short a", func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 3), 2, make([]float32, 4), 2, 0, make([]float32, 4), 2)
		}},
		{"short c", func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 4), 2, make([]float32, 4), 2, 0, make([]float32, 3), 2)
		}},
		{"small ldb", func() {
			Sgemm(false, true, 2, 3, 2, 1, make([]float32, 4), 2, make([]float32, 6), 1, 0, make([]float32, 6), 3)
		}},
		{"negative", func() { Sgemm(false, false, -1, 2, 2, 1, nil, 2, nil, 2, 0, nil, 2) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			tc.f()
		})
	}
}

func TestUse(t *testing.T) {
	useKernel(t, "")
	if err := Use("avx1024"); err == nil {
		t.Fatal("Use(avx1024) succeeded")
	}
	if err := Use("go"); err != nil || Kernel() != "go 4x8" {
		t.Fatalf("Use(go) = %v, Kernel() = %q", err, Kernel())
	}
}

func BenchmarkSgemm(b *testing.B) {
	for _, s := range []shape{
		{m: 64, n: 128, k: 784, alpha: 1},
		{transA: true, m: 784, n: 128, k: 64, alpha: 1},
		{transB: true, m: 64, n: 784, k: 128, alpha: 1},
		{m: 256, n: 256, k: 256, alpha: 1},
		{m: 16, n: 100, k: 150, alpha: 1},
		{transB: true, m: 6, n: 784, k: 25, alpha: 1},
		{transB: true, m: 16, n: 100, k: 150, alpha: 1},
	} {
		a, lda, bb, ldb, c, ldc := s.operands(rand.New(rand.NewPCG(1, 1)))
		flops := 2 * float64(s.m*s.n*s.k)
		for _, impl := range []string{"gozoo", "serial", "gonum"} {
			b.Run(fmt.Sprintf("%s/%dx%dx%d,tA=%v,tB=%v", impl, s.m, s.n, s.k, s.transA, s.transB), func(b *testing.B) {
				for b.Loop() {
					switch impl {
					case "gonum":
						gonum.Implementation{}.Sgemm(trans(s.transA), trans(s.transB), s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, ldc)
					case "serial":
						SgemmSerial(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, ldc)
					default:
						Sgemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, ldc)
					}
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// The AVX transpose moves the values the Go one does, for every length
// (whole blocks and the rest) and stride, writing nothing else.
func TestTranspose8(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, n := range []int{1, 7, 8, 9, 16, 25, 64, 100, 257} {
		for _, pad := range []int{0, 3} {
			srcStride, dstStride := n+pad, 8+pad*5
			src := make([]float32, 7*srcStride+n)
			for i := range src {
				src[i] = float32(rng.NormFloat64())
			}
			got := make([]float32, (n-1)*dstStride+8+4)
			for i := range got {
				got[i] = -7
			}
			want := append([]float32(nil), got...)
			transpose8(got, dstStride, src, srcStride, n)
			transpose8Go(want, dstStride, src, srcStride, n)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("n=%d pad=%d: dst[%d] = %v, want %v", n, pad, i, got[i], want[i])
				}
			}
			for p := range n {
				for r := range 8 {
					if got[p*dstStride+r] != src[r*srcStride+p] {
						t.Fatalf("n=%d: dst[%d][%d] is not src[%d][%d]", n, p, r, r, p)
					}
				}
			}
		}
	}
}
