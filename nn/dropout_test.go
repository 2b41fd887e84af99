package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/internal/testutil"
	G "gorgonia.org/gorgonia"
)

func TestNewDropoutRate(t *testing.T) {
	for _, tc := range []struct {
		rate float64
		ok   bool
	}{{0, true}, {0.5, true}, {0.999, true}, {1, false}, {-0.1, false}, {math.NaN(), false}} {
		_, err := NewDropout("drop", tc.rate)
		if (err == nil) != tc.ok {
			t.Errorf("NewDropout(%v) error = %v, want ok=%v", tc.rate, err, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), `nn: dropout "drop": rate must be in [0, 1)`) {
			t.Errorf("NewDropout(%v) error = %q, want a message naming the range", tc.rate, err)
		}
	}
}

// tap is a test-only identity layer that copies its input out during each
// run. Program.Outputs of a training program cannot be trusted for this: in
// Gorgonia v0.9.18 the backward pass may reuse the memory of the output node
// (with MSE, Outputs returned 2(y-t)/n, the loss gradient, not y).
type tap struct{ v G.Value }

func (*tap) Name() string                        { return "tap" }
func (*tap) Params() []*Param                    { return nil }
func (*tap) OutputShape(in []int) ([]int, error) { return in, nil }
func (tp *tap) Forward(_ *Graph, x *G.Node) (*G.Node, error) {
	tp.v = nil
	G.Read(x, &tp.v)
	return x, nil
}

// values returns what the tapped node held in the last run.
func (tp *tap) values(t *testing.T) []float64 {
	t.Helper()
	if tp.v == nil {
		t.Fatal("tap: no value read")
	}
	var out []float64
	for _, v := range tp.v.Data().([]float32) {
		out = append(out, float64(v))
	}
	return out
}

// identityDropoutNet is dense(identity weights, bias) -> dropout -> tap
// over features inputs, so outputs are mask * (x + bias).
func identityDropoutNet(t *testing.T, features int, rate float64) (Model, *Dense, *tap) {
	t.Helper()
	d := built(NewDense("dense", features, features, Zeros, nil))(t)
	for i := 0; i < features; i++ {
		d.Weight.Data()[i*features+i] = 1
	}
	tp := &tap{}
	model, err := NewSequential([]int{features}, d, built(NewDropout("drop", rate))(t), tp)
	if err != nil {
		t.Fatal(err)
	}
	return model, d, tp
}

// replayMask draws the mask Dropout.Run fills from a source seeded like rng.
func replayMask(seed1, seed2 uint64, n int, rate float64) []float64 {
	rng := rand.New(rand.NewPCG(seed1, seed2))
	m := make([]float64, n)
	for i := range m {
		if rng.Float64() >= rate {
			m[i] = float64(float32(1 / (1 - rate)))
		}
	}
	return m
}

func TestDropoutTrainingAndEvaluation(t *testing.T) {
	const features, batch = 50, 20
	for _, rate := range []float64{0, 0.3, 0.8} {
		t.Run(fmt.Sprint("rate ", rate), func(t *testing.T) {
			model, _, tp := identityDropoutNet(t, features, rate)
			rng := rand.New(rand.NewPCG(1, 2))
			x := make([]float32, batch*features)
			for i := range x {
				x[i] = 1 + rng.Float32() // never zero, so a zero output means dropped
			}
			train := built(Compile(model, Training, batch, MSE{}))(t)
			defer train.Close()
			copy(train.Input(), x)
			if err := train.Run(rand.New(rand.NewPCG(7, 7))); err != nil {
				t.Fatal(err)
			}
			mask := replayMask(7, 7, len(x), rate)
			var got, want []float64
			zeros := 0
			for i, v := range tp.values(t) {
				got = append(got, v)
				want = append(want, float64(x[i])*mask[i])
				if v == 0 {
					zeros++
				}
			}
			testutil.AllClose(t, "training outputs", got, want, 0, 1e-6)
			// 1000 Bernoulli(rate) draws: 4 standard deviations is at most 0.064.
			if frac := float64(zeros) / float64(len(x)); math.Abs(frac-rate) > 0.065 {
				t.Errorf("training dropped %.3f of the outputs, want about %v", frac, rate)
			}

			eval := built(Compile(model, Evaluation, batch, nil))(t)
			defer eval.Close()
			copy(eval.Input(), x)
			if err := eval.Run(nil); err != nil {
				t.Fatal(err)
			}
			for i, v := range eval.Outputs() {
				if v != x[i] {
					t.Fatalf("evaluation output %d = %v, want the input %v unchanged", i, v, x[i])
				}
			}
		})
	}
}

func TestDropoutMaskIsSeeded(t *testing.T) {
	model, _, tp := identityDropoutNet(t, 30, 0.5)
	p := built(Compile(model, Training, 4, MSE{}))(t)
	defer p.Close()
	for i := range p.Input() {
		p.Input()[i] = 1
	}
	run := func(seed uint64) []float64 {
		if err := p.Run(rand.New(rand.NewPCG(seed, 0))); err != nil {
			t.Fatal(err)
		}
		return tp.values(t)
	}
	a, b, c := run(1), run(1), run(2)
	if !reflect.DeepEqual(a, b) {
		t.Error("the same seed gave different dropout masks")
	}
	if reflect.DeepEqual(a, c) {
		t.Error("different seeds gave the same dropout mask")
	}
	if err := p.Run(nil); err == nil || !strings.Contains(err.Error(), "no random source") {
		t.Errorf("Run(nil) on a program with dropout: error = %v, want one about the missing source", err)
	}
}

// TestDropoutGradients checks the training gradients against the analytic
// ones for a known mask. Finite differences through an evaluation program
// would not do: it has no dropout. For y = m*(xW + b) and MSE over n = B*F
// values, dL/db_j = sum_i 2(y_ij - t_ij) m_ij / n and
// dL/dW_kj = sum_i 2(y_ij - t_ij) m_ij x_ik / n.
func TestDropoutGradients(t *testing.T) {
	const features, batch, rate = 6, 5, 0.4
	model, dense, _ := identityDropoutNet(t, features, rate)
	rng := rand.New(rand.NewPCG(3, 4))
	copy(dense.Bias.Data(), randomSlice(rng, features, 1))
	x, y := randomSlice(rng, batch*features, 1), randomSlice(rng, batch*features, 1)
	p := built(Compile(model, Training, batch, MSE{}))(t)
	defer p.Close()
	copy(p.Input(), x)
	copy(p.Target(), y)
	if err := p.Run(rand.New(rand.NewPCG(9, 9))); err != nil {
		t.Fatal(err)
	}
	mask := replayMask(9, 9, batch*features, rate)
	n := float64(batch * features)
	wantW := make([]float64, features*features)
	wantB := make([]float64, features)
	for i := 0; i < batch; i++ {
		for j := 0; j < features; j++ {
			out := mask[i*features+j] * (float64(x[i*features+j]) + float64(dense.Bias.Data()[j]))
			g := 2 * (out - float64(y[i*features+j])) * mask[i*features+j] / n
			wantB[j] += g
			for k := 0; k < features; k++ {
				wantW[k*features+j] += g * float64(x[i*features+k])
			}
		}
	}
	grads := built(p.Grads(nil))(t)
	for i, want := range [][]float64{wantW, wantB} {
		got := make([]float64, len(grads[i]))
		for j, v := range grads[i] {
			got[j] = float64(v)
		}
		testutil.AllClose(t, p.Params()[i].Name, got, want, 1e-6, 1e-5)
	}
}
