//go:build openblas && cgo

package backend

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/netlib/blas/netlib"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gozoo/gozoo/internal/testutil"
	"github.com/gozoo/gozoo/io/loader"
	"github.com/gozoo/gozoo/io/mnist"
	"github.com/gozoo/gozoo/nn"
	"github.com/gozoo/gozoo/optim"
	"github.com/gozoo/gozoo/recipes"
	"github.com/gozoo/gozoo/zoo/mlp"
)

func TestOpenBLASLinked(t *testing.T) {
	if cfg := openBLASConfig(); !strings.HasPrefix(cfg, "OpenBLAS") {
		t.Fatalf("openblas_get_config() = %q, want OpenBLAS", cfg)
	}
	t.Log(openBLASConfig())
}

// countingBLAS is OpenBLAS with a count of its sgemm calls: proof that the
// tape machine's products reach the BLAS that Use installs.
type countingBLAS struct {
	netlib.Implementation
	sgemm *int
}

func (c countingBLAS) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, cc []float32, ldc int) {
	*c.sgemm++
	c.Implementation.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, cc, ldc)
}

// product runs y = a×b and the gradients of sum(y) through a tape machine
// with whatever BLAS is installed, returning y, da and db.
func product(t *testing.T, a, b *tensor.Dense) (y, da, db []float32) {
	t.Helper()
	g := gorgonia.NewGraph()
	an := gorgonia.NodeFromAny(g, a, gorgonia.WithName("a"))
	bn := gorgonia.NodeFromAny(g, b, gorgonia.WithName("b"))
	yn, err := gorgonia.Mul(an, bn)
	if err != nil {
		t.Fatal(err)
	}
	cost, err := gorgonia.Sum(yn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gorgonia.Grad(cost, an, bn); err != nil {
		t.Fatal(err)
	}
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	grad := func(n *gorgonia.Node) []float32 {
		gv, err := n.Grad()
		if err != nil {
			t.Fatal(err)
		}
		return append([]float32(nil), gv.Data().([]float32)...)
	}
	return append([]float32(nil), yn.Value().Data().([]float32)...), grad(an), grad(bn)
}

func randomMatrix(rng *rand.Rand, rows, cols int) *tensor.Dense {
	data := make([]float32, rows*cols)
	for i := range data {
		data[i] = 2*rng.Float32() - 1
	}
	return tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(data))
}

// relativeError returns max|got-want| / max|want|, the normwise error by
// which BLAS results are judged: an element that is a small difference of
// large terms carries the rounding of those terms, not of itself.
func relativeError(got, want []float32) float64 {
	var diff, scale float64
	for i := range want {
		diff = max(diff, math.Abs(float64(got[i])-float64(want[i])))
		scale = max(scale, math.Abs(float64(want[i])))
	}
	return diff / scale
}

// The product and both its gradients agree with gonum's to 1e-5 relative
// (float32 sums of up to 784 terms, added in another order), and all three
// products (y = a·b, da = dy·bᵀ, db = aᵀ·dy) run in OpenBLAS.
func TestMatMulMatchesGonum(t *testing.T) {
	useDefaultAfter(t)
	for _, tc := range []struct {
		name    string
		m, k, n int
	}{
		{"mlp first layer", 64, 784, 128},
		{"mlp last layer", 64, 64, 10},
		{"odd sizes", 7, 33, 5},
		{"one row", 1, 100, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(tc.m)))
			a, b := randomMatrix(rng, tc.m, tc.k), randomMatrix(rng, tc.k, tc.n)
			if err := Use(Gonum); err != nil {
				t.Fatal(err)
			}
			y0, da0, db0 := product(t, a, b)

			calls := 0
			gorgonia.Use(countingBLAS{sgemm: &calls})
			if Name() != "backend.countingBLAS" {
				t.Fatalf("Name() = %q", Name())
			}
			y1, da1, db1 := product(t, a, b)
			if calls < 3 {
				t.Errorf("OpenBLAS ran %d sgemm calls, want at least 3", calls)
			}
			// Same inputs, same thread count: the same bits.
			y2, da2, db2 := product(t, a, b)
			if !slices.Equal(y2, y1) || !slices.Equal(da2, da1) || !slices.Equal(db2, db1) {
				t.Errorf("a second OpenBLAS run gave other bits")
			}
			for _, r := range []struct {
				what      string
				got, want []float32
			}{{"y", y1, y0}, {"da", da1, da0}, {"db", db1, db0}} {
				if len(r.got) != len(r.want) {
					t.Fatalf("%s: %d values, want %d", r.what, len(r.got), len(r.want))
				}
				e := relativeError(r.got, r.want)
				if e > 1e-5 {
					t.Errorf("%s differs from gonum's by %.2g relative, want at most 1e-5", r.what, e)
				}
				t.Logf("%s: relative difference %.2g", r.what, e)
			}
		})
	}
}

// A short MLP run (the seed MLP, one epoch on 6,000 MNIST images) reaches
// the same test accuracy with either BLAS, within one percentage point: the
// two sum in different orders, so the runs drift apart by rounding only.
func TestMLPTrainingMatchesGonum(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on MNIST")
	}
	useDefaultAfter(t)
	dir, err := mnist.DefaultDir()
	if err != nil {
		t.Skipf("no MNIST: %v", err)
	}
	train, test, err := mnist.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	first := func(n int) []int {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	trainSet, err := loader.Subset(train, first(6000))
	if err != nil {
		t.Fatal(err)
	}
	testSet, err := loader.Subset(test, first(2000))
	if err != nil {
		t.Fatal(err)
	}
	fit := func(name string) float64 {
		if err := Use(name); err != nil {
			t.Fatal(err)
		}
		model, err := mlp.New(mlp.Paddle(), rand.New(rand.NewPCG(1, 0)))
		if err != nil {
			t.Fatal(err)
		}
		opt, err := optim.New("adam", optim.Common{LearningRate: 0.001})
		if err != nil {
			t.Fatal(err)
		}
		tr, err := recipes.NewTrainer(model, nn.SoftmaxCrossEntropy{}, opt, 1)
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		ctx := context.Background()
		if _, err := tr.Fit(ctx, trainSet, recipes.FitOptions{Epochs: 1, BatchSize: 64}); err != nil {
			t.Fatal(err)
		}
		ev, err := tr.Evaluate(ctx, testSet, 256)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: test accuracy %.4f, loss %.9f", name, ev.Accuracy, ev.Loss)
		return ev.Accuracy
	}
	gonumAcc, openAcc := fit(Gonum), fit(OpenBLAS)
	if gonumAcc < 0.8 {
		t.Errorf("gonum test accuracy %.4f, want at least 0.8 after one epoch", gonumAcc)
	}
	if !testutil.Close(openAcc, gonumAcc, 0.01, 0) {
		t.Errorf("openblas test accuracy %.4f, gonum %.4f: want within 0.01", openAcc, gonumAcc)
	}
}

// BenchmarkMatMul times the seed MLP's first-layer product (a batch of 64
// MNIST images times the 784×128 weights) through a tape machine, with each
// BLAS, one after the other in one run.
func BenchmarkMatMul(b *testing.B) {
	const m, k, n = 64, 784, 128
	rng := rand.New(rand.NewPCG(1, 0))
	g := gorgonia.NewGraph()
	x := gorgonia.NodeFromAny(g, randomMatrix(rng, m, k), gorgonia.WithName("x"))
	w := gorgonia.NodeFromAny(g, randomMatrix(rng, k, n), gorgonia.WithName("w"))
	if _, err := gorgonia.Mul(x, w); err != nil {
		b.Fatal(err)
	}
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()
	defer Use(Gonum)
	for _, name := range []string{Gonum, OpenBLAS} {
		b.Run(name, func(b *testing.B) {
			if err := Use(name); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := vm.RunAll(); err != nil {
					b.Fatal(err)
				}
				vm.Reset()
			}
			b.ReportMetric(2*m*k*n*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
