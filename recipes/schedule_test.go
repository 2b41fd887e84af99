package recipes

import (
	"context"
	"math"
	"testing"

	"github.com/gozoo/gozoo/optim"
)

// rateRecorder records the learning rate of every step it takes.
type rateRecorder struct {
	optim.Optimizer
	used []float64
}

func (o *rateRecorder) Step(params []optim.Param) error {
	o.used = append(o.used, o.LearningRate())
	return o.Optimizer.Step(params)
}

// The rates the optimizer used, step by step, against each schedule's
// closed form worked by hand (4 steps an epoch: 40 samples, batches of 10).
func TestLearningRateCallbacks(t *testing.T) {
	const stepsPerEpoch = 4
	tests := []struct {
		name      string
		callbacks []Callback
		epochs    int
		perEpoch  []float64 // the rate of every step of each epoch
		perStep   []float64
		final     float64 // the optimizer's rate after Fit
	}{
		{
			// 0.1 * 0.5^floor((epoch-1)/2)
			name:      "step decay per epoch",
			callbacks: []Callback{&LRScheduler{Schedule: optim.StepDecay{Base: 0.1, StepSize: 2, Gamma: 0.5}}},
			epochs:    5, perEpoch: []float64{0.1, 0.1, 0.05, 0.05, 0.025}, final: 0.025,
		},
		{
			// 0.1 * 0.5^(epoch-1)
			name:      "exponential per epoch",
			callbacks: []Callback{&LRScheduler{Schedule: optim.Exponential{Base: 0.1, Gamma: 0.5}}},
			epochs:    4, perEpoch: []float64{0.1, 0.05, 0.025, 0.0125}, final: 0.0125,
		},
		{
			// 0.1 * 0.1^floor(step/3)
			name:      "step decay per step",
			callbacks: []Callback{&LRScheduler{Schedule: optim.StepDecay{Base: 0.1, StepSize: 3, Gamma: 0.1}, PerStep: true}},
			epochs:    2, perStep: []float64{0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001, 0.001}, final: 0.001,
		},
		{
			// warm-up 0.1*(t+1)/2 for t < 2; then 0.01 + 0.09*(1+cos(pi*(t-2)/4))/2
			// up to t = 6; then 0.01.
			name:      "cosine warmup per step",
			callbacks: []Callback{&LRScheduler{Schedule: optim.CosineWarmup{Base: 0.1, Min: 0.01, Warmup: 2, Total: 6}, PerStep: true}},
			epochs:    2, perStep: []float64{0.05, 0.1, 0.1, 0.08681980515339464, 0.055, 0.023180194846605363, 0.01, 0.01}, final: 0.01,
		},
		{
			// Patience 1 in PyTorch's rule: the second epoch in a row that
			// does not beat 0.9 (epochs 4 and 6) halves the rate for the next.
			name: "reduce on plateau",
			callbacks: []Callback{
				&script{values: []float64{1, 0.9, 0.95, 0.96, 0.97, 0.98}},
				&ReduceLROnPlateau{Plateau: optim.ReduceOnPlateau{Factor: 0.5, Patience: 1}},
			},
			epochs: 6, perEpoch: []float64{0.1, 0.1, 0.1, 0.1, 0.05, 0.05}, final: 0.025,
		},
	}
	train, val := newBlobs(40, 1), newBlobs(20, 2)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTestTrainer(t, 1)
			rec := &rateRecorder{Optimizer: tr.Optimizer}
			tr.Optimizer = rec
			rec.SetLearningRate(0.1)
			hist, err := tr.Fit(context.Background(), train, FitOptions{Epochs: tc.epochs, BatchSize: 10, Validation: val, Callbacks: tc.callbacks})
			if err != nil {
				t.Fatal(err)
			}
			want := tc.perStep
			for _, lr := range tc.perEpoch {
				for range stepsPerEpoch {
					want = append(want, lr)
				}
			}
			if len(rec.used) != len(want) {
				t.Fatalf("%d steps, want %d", len(rec.used), len(want))
			}
			for i, lr := range rec.used {
				if !closeRate(lr, want[i]) {
					t.Errorf("step %d used rate %v, want %v", i, lr, want[i])
				}
			}
			for _, s := range hist.Epochs {
				if used := rec.used[s.Epoch*stepsPerEpoch-1]; s.LearningRate != used {
					t.Errorf("epoch %d reports rate %v, its last step used %v", s.Epoch, s.LearningRate, used)
				}
			}
			if got := rec.LearningRate(); !closeRate(got, tc.final) {
				t.Errorf("rate after Fit %v, want %v", got, tc.final)
			}
		})
	}
}

func closeRate(got, want float64) bool { return math.Abs(got-want) <= 1e-12*math.Abs(want) }

func TestReduceLROnPlateauState(t *testing.T) {
	p := &ReduceLROnPlateau{Plateau: optim.ReduceOnPlateau{Patience: 3}}
	p.Plateau.Observe(1, 0.1)
	p.Plateau.Observe(2, 0.1)
	data, err := p.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	var back ReduceLROnPlateau
	if err := back.UnmarshalState(data); err != nil || back.Plateau.State() != p.Plateau.State() {
		t.Errorf("state %s came back as %+v, %v", data, back.Plateau.State(), err)
	}
	if want := (optim.PlateauState{Best: 1, HasBest: true, BadEpochs: 1}); p.Plateau.State() != want {
		t.Errorf("state %+v, want %+v", p.Plateau.State(), want)
	}
	for _, bad := range []string{`{"bad_epochs":-1}`, `"x"`} {
		if err := back.UnmarshalState([]byte(bad)); err == nil {
			t.Errorf("state %s: no error", bad)
		}
	}
}
