package optim

import (
	"math"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/internal/testutil"
)

func TestSchedules(t *testing.T) {
	cosine := func(base, min, p float64) float64 { return min + (base-min)*(1+math.Cos(math.Pi*p))/2 }
	cases := []struct {
		name string
		s    Schedule
		t    int
		want float64
	}{
		// StepLR: base * gamma^(t // step_size).
		{"step decay t=-1", StepDecay{Base: 0.1, StepSize: 3, Gamma: 0.5}, -1, 0.1},
		{"step decay t=0", StepDecay{Base: 0.1, StepSize: 3, Gamma: 0.5}, 0, 0.1},
		{"step decay t=2", StepDecay{Base: 0.1, StepSize: 3, Gamma: 0.5}, 2, 0.1},
		{"step decay t=3", StepDecay{Base: 0.1, StepSize: 3, Gamma: 0.5}, 3, 0.05},
		{"step decay t=7", StepDecay{Base: 0.1, StepSize: 3, Gamma: 0.5}, 7, 0.025},
		// ExponentialLR: base * gamma^t.
		{"exponential t=0", Exponential{Base: 1, Gamma: 0.9}, 0, 1},
		{"exponential t=1", Exponential{Base: 1, Gamma: 0.9}, 1, 0.9},
		{"exponential t=2", Exponential{Base: 1, Gamma: 0.9}, 2, 0.81},
		{"exponential t=10", Exponential{Base: 1, Gamma: 0.9}, 10, 0.3486784401},
		// Warm-up base*(t+1)/warmup, then cosine from base to min.
		{"cosine t=0", CosineWarmup{Base: 1, Min: 0.1, Warmup: 4, Total: 14}, 0, 0.25},
		{"cosine t=1", CosineWarmup{Base: 1, Min: 0.1, Warmup: 4, Total: 14}, 1, 0.5},
		{"cosine t=3", CosineWarmup{Base: 1, Min: 0.1, Warmup: 4, Total: 14}, 3, 1},
		{"cosine t=4", CosineWarmup{Base: 1, Min: 0.1, Warmup: 4, Total: 14}, 4, 1},
		{"cosine t=6", CosineWarmup{Base: 1, Min: 0.1, Warmup: 4, Total: 14}, 6, cosine(1, 0.1, 0.2)},
		{"cosine t=6 by hand", CosineWarmup{Base: 1, Min: 0.1, Warmup: 4, Total: 14}, 6, 0.1 + 0.9*(1+0.8090169943749474)/2},
		{"cosine t=9", CosineWarmup{Base: 1, Min: 0.1, Warmup: 4, Total: 14}, 9, 0.55},
		{"cosine t=13", CosineWarmup{Base: 1, Min: 0.1, Warmup: 4, Total: 14}, 13, cosine(1, 0.1, 0.9)},
		{"cosine t=14", CosineWarmup{Base: 1, Min: 0.1, Warmup: 4, Total: 14}, 14, 0.1},
		{"cosine t=100", CosineWarmup{Base: 1, Min: 0.1, Warmup: 4, Total: 14}, 100, 0.1},
		{"cosine no warmup t=0", CosineWarmup{Base: 0.5, Total: 10}, 0, 0.5},
		{"cosine no warmup t=5", CosineWarmup{Base: 0.5, Total: 10}, 5, 0.25},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.s.Validate(); err != nil {
				t.Fatal(err)
			}
			if got := c.s.At(c.t); !testutil.Close(got, c.want, 1e-15, 1e-12) {
				t.Errorf("At(%d) = %.17g, want %.17g", c.t, got, c.want)
			}
		})
	}
}

func TestScheduleValidate(t *testing.T) {
	cases := []struct {
		name string
		s    Schedule
		want string
	}{
		{"step decay zero step", StepDecay{Base: 0.1, Gamma: 0.5}, "step decay step size 0 is below 1"},
		{"step decay zero gamma", StepDecay{Base: 0.1, StepSize: 1}, "step decay gamma 0"},
		{"step decay negative base", StepDecay{Base: -1, StepSize: 1, Gamma: 0.5}, "step decay base -1"},
		{"exponential nan gamma", Exponential{Base: 1, Gamma: math.NaN()}, "exponential gamma NaN"},
		{"exponential inf base", Exponential{Base: math.Inf(1), Gamma: 0.5}, "exponential base +Inf"},
		{"cosine min above base", CosineWarmup{Base: 0.1, Min: 0.2, Total: 10}, "min 0.2 above base 0.1"},
		{"cosine total", CosineWarmup{Base: 0.1, Warmup: 10, Total: 10}, "total 10 must exceed warmup 10"},
		{"cosine negative warmup", CosineWarmup{Base: 0.1, Warmup: -1, Total: 10}, "warmup -1 is below 0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.s.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
			if lr := c.s.At(1); !math.IsNaN(lr) {
				t.Errorf("At(1) = %g on an invalid schedule, want NaN", lr)
			}
		})
	}
}

// TestReduceOnPlateau compares learning rates with those of
// torch.optim.lr_scheduler.ReduceLROnPlateau (torch 1.13, threshold_mode
// "abs") on the same values.
func TestReduceOnPlateau(t *testing.T) {
	cases := []struct {
		name   string
		r      ReduceOnPlateau
		values []float64
		want   []float64
	}{
		{
			"min with cooldown",
			ReduceOnPlateau{Factor: 0.5, Patience: 2, MinDelta: 0.01, Min: 0.01, Cooldown: 1},
			[]float64{1.0, 0.9, 0.895, 0.9, 0.91, 0.8, 0.85, 0.86, 0.87, 0.88, 0.89, 0.9, 0.95, 1.0, 1.1, 1.2},
			[]float64{0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.025, 0.0125, 0.0125, 0.0125, 0.0125},
		},
		{
			"max with floor and NaN",
			ReduceOnPlateau{Mode: Maximize, Min: 0.0005},
			[]float64{0.5, 0.6, 0.6, 0.7, 0.65, 0.64, math.NaN(), 0.8, 0.7},
			[]float64{0.1, 0.1, 0.010000000000000002, 0.010000000000000002, 0.0010000000000000002, 0.0005, 0.0005, 0.0005, 0.0005},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.r.Validate(); err != nil {
				t.Fatal(err)
			}
			for split := range len(c.values) {
				// Observe values[:split], carry the state through JSON-safe
				// PlateauState into a new copy, observe the rest.
				r := ReduceOnPlateau{Factor: c.r.Factor, Patience: c.r.Patience, MinDelta: c.r.MinDelta, Min: c.r.Min, Mode: c.r.Mode, Cooldown: c.r.Cooldown}
				resumed := r
				lr := 0.1
				for i, v := range c.values {
					if i == split {
						if err := resumed.LoadState(r.State()); err != nil {
							t.Fatal(err)
						}
					}
					if i < split {
						lr = r.Observe(v, lr)
					} else {
						lr = resumed.Observe(v, lr)
					}
					if !testutil.Close(lr, c.want[i], 1e-15, 0) {
						t.Fatalf("split %d, value %d (%g): lr %.17g, want %.17g", split, i, v, lr, c.want[i])
					}
				}
			}
		})
	}
}

func TestReduceOnPlateauErrors(t *testing.T) {
	cases := []struct {
		name string
		r    ReduceOnPlateau
		want string
	}{
		{"factor 1", ReduceOnPlateau{Factor: 1}, "factor 1 outside (0, 1)"},
		{"mode", ReduceOnPlateau{Mode: "up"}, `mode "up" (valid: min, max)`},
		{"patience", ReduceOnPlateau{Patience: -1}, "patience -1 is below 0"},
		{"cooldown", ReduceOnPlateau{Cooldown: -2}, "cooldown -2 is below 0"},
		{"min delta", ReduceOnPlateau{MinDelta: -0.1}, "min delta -0.1"},
		{"min", ReduceOnPlateau{Min: math.NaN()}, "min NaN"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.r.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
			if lr := c.r.Observe(1, 0.1); !math.IsNaN(lr) || c.r.State() != (PlateauState{}) {
				t.Errorf("Observe on an invalid schedule gave %g and state %+v", lr, c.r.State())
			}
		})
	}
	var r ReduceOnPlateau
	for _, s := range []PlateauState{{BadEpochs: -1}, {CooldownLeft: -1}, {Best: math.Inf(1), HasBest: true}} {
		if err := r.LoadState(s); err == nil {
			t.Errorf("LoadState(%+v) gave no error", s)
		}
	}
}
