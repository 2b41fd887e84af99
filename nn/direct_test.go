package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gozoo/gozoo/internal/testutil"
)

// everyLayer is a small network with each layer kind, batch norm running
// statistics that are not the identity, and a loss.
func everyLayer(t *testing.T, rng *rand.Rand) *Sequential {
	t.Helper()
	conv1, _ := NewConv2D("conv1", 2, 4, Pair(3), Pair(1), Pair(1), true, HeNormal, rng)
	bn, _ := NewBatchNorm2D("bn", 4)
	relu, _ := NewActivation("relu", ReLU)
	pool, _ := NewMaxPool2D("pool", Pair(2), Pair(2), Pair(0))
	conv2, _ := NewConv2D("conv2", 4, 3, Pair(3), Pair(1), Pair(1), false, GlorotUniform, rng)
	tanh, _ := NewActivation("tanh", Tanh)
	avg, _ := NewAvgPool2D("avg", Pair(3), Pair(2), Pair(1))
	drop, _ := NewDropout("drop", 0.3)
	d1, _ := NewDense("d1", 3*2*2, 7, GlorotUniform, rng)
	sig, _ := NewActivation("sig", Sigmoid)
	bn1, _ := NewBatchNorm1D("bn1", 7)
	d2, _ := NewDense("d2", 7, 5, GlorotUniform, rng)
	model, err := NewSequential([]int{2, 7, 7}, conv1, bn, relu, pool, conv2, tanh, avg, NewFlatten("flat"), drop, d1, sig, bn1, d2)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range model.Params() {
		data := p.Data()
		for i := range data {
			data[i] = float32(rng.NormFloat64())
			if !p.Trainable {
				data[i] = float32(0.5 + rng.Float64()) // running variances stay positive
			}
		}
	}
	return model
}

// Evaluation programs run without the tape machine; their outputs and loss
// are the machine's, bit for bit.
func TestDirectRunMatchesTapeMachine(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	model := everyLayer(t, rng)
	for _, batch := range []int{1, 3, 8} {
		x := randomSlice(rng, batch*2*7*7, 1)
		y := oneHot(rng, batch, 5)
		run := func(tape bool) ([]float32, float64) {
			tapeOnly = tape
			defer func() { tapeOnly = false }()
			p, err := Compile(model, Evaluation, batch, SoftmaxCrossEntropy{})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			if (p.direct != nil) == tape {
				t.Fatalf("tape=%v: program direct=%v", tape, p.direct != nil)
			}
			copy(p.Input(), x)
			copy(p.Target(), y)
			for range 2 { // a second run must not see the first's values
				if err := p.Run(nil); err != nil {
					t.Fatal(err)
				}
			}
			return append([]float32(nil), p.Outputs()...), p.Loss()
		}
		want, wantLoss := run(true)
		got, gotLoss := run(false)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("batch %d: output %d = %v, the tape machine gives %v", batch, i, got[i], want[i])
			}
		}
		if math.Float64bits(gotLoss) != math.Float64bits(wantLoss) {
			t.Fatalf("batch %d: loss %v, the tape machine gives %v", batch, gotLoss, wantLoss)
		}
	}
}

// Training programs run without the tape machine too: outputs, loss and
// every gradient are the machine's, bit for bit (a zero's sign aside: the
// machine adds gradients into zeroed dual values, and 0 + -0 is +0), over
// runs that reuse the program's buffers, with dropout and batch norm.
func TestDirectTrainingMatchesTapeMachine(t *testing.T) {
	for _, tc := range []struct {
		name  string
		model func() Model
		shape []int
	}{
		{"every layer", func() Model { return everyLayer(t, rand.New(rand.NewPCG(8, 9))) }, []int{2, 7, 7}},
		{"residual graph", func() Model { return residualNet(t, true) }, []int{2, 6, 6}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const batch, steps = 4, 3
			size := batch
			for _, d := range tc.shape {
				size *= d
			}
			type result struct {
				outs  [][]float32
				loss  []float64
				grads [][][]float32
			}
			run := func(tape bool) result {
				tapeOnly = tape
				defer func() { tapeOnly = false }()
				model := tc.model()
				p, err := Compile(model, Training, batch, SoftmaxCrossEntropy{})
				if err != nil {
					t.Fatal(err)
				}
				defer p.Close()
				if (p.direct != nil) == tape {
					t.Fatalf("tape=%v: program direct=%v", tape, p.direct != nil)
				}
				data := rand.New(rand.NewPCG(1, 2))
				masks := rand.New(rand.NewPCG(3, 4))
				var r result
				for range steps {
					copy(p.Input(), randomSlice(data, size, 1))
					copy(p.Target(), oneHot(data, batch, model.OutputShape()[0]))
					if err := p.Run(masks); err != nil {
						t.Fatal(err)
					}
					r.outs = append(r.outs, append([]float32(nil), p.Outputs()...))
					r.loss = append(r.loss, p.Loss())
					gs, err := p.Grads(nil)
					if err != nil {
						t.Fatal(err)
					}
					var step [][]float32
					for _, g := range gs {
						g = append([]float32(nil), g...)
						for i := range g {
							g[i] += 0 // -0 becomes +0, as in the machine's sums
						}
						step = append(step, g)
					}
					r.grads = append(r.grads, step)
					// A change of the parameters between runs, as an
					// optimizer makes, so that stale buffers would show.
					for i, prm := range p.Params() {
						for j := range prm.Data() {
							prm.Data()[j] -= 0.01 * gs[i][j]
						}
					}
				}
				return r
			}
			want, got := run(true), run(false)
			for s := range steps {
				if math.Float64bits(got.loss[s]) != math.Float64bits(want.loss[s]) {
					t.Fatalf("step %d: loss %v, the tape machine gives %v", s, got.loss[s], want.loss[s])
				}
				testutil.SameBits(t, fmt.Sprintf("step %d outputs", s), got.outs[s], want.outs[s])
				for i := range want.grads[s] {
					testutil.SameBits(t, fmt.Sprintf("step %d gradient %d", s, i), got.grads[s][i], want.grads[s][i])
				}
			}
		})
	}
}
