package recipes

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/optim"
)

// script is a callback that, listed first, replaces the monitored figure of
// each epoch with a scripted value (so that callbacks watching it can be
// tested against known sequences) and records the parameters at each
// epoch's end.
type script struct {
	BaseCallback
	metric Metric
	values []float64 // by epoch, from 1; none past the end
	snaps  map[int][]uint32
}

func (c *script) OnEpochEnd(r *Run, s *EpochStats) error {
	if i := s.Epoch - 1; i < len(c.values) {
		switch c.metric {
		case ValLoss:
			s.ValLoss = c.values[i]
		case ValAccuracy:
			s.ValAccuracy = c.values[i]
		case TrainLoss:
			s.TrainLoss = c.values[i]
		case TrainAccuracy:
			s.TrainAccuracy = c.values[i]
		}
	}
	if c.snaps == nil {
		c.snaps = map[int][]uint32{}
	}
	c.snaps[s.Epoch] = paramBits(r.Trainer)
	return nil
}

// hooks counts the hooks Fit ran.
type hooks struct {
	BaseCallback
	epochEnds, trainEnds int
}

func (h *hooks) OnEpochEnd(*Run, *EpochStats) error { h.epochEnds++; return nil }
func (h *hooks) OnTrainEnd(*Run) error              { h.trainEnds++; return nil }

// jump is a schedule that switches from one rate to another at index at.
type jump struct {
	at            int
	before, after float64
}

func (j jump) At(t int) float64 {
	if t < j.at {
		return j.before
	}
	return j.after
}
func (j jump) Validate() error { return nil }

func TestParseMetric(t *testing.T) {
	tests := []struct {
		name  string
		want  Metric
		lower bool
	}{
		{"val_loss", ValLoss, true},
		{"val_accuracy", ValAccuracy, false},
		{"train_loss", TrainLoss, true},
		{"train_accuracy", TrainAccuracy, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ParseMetric(tc.name)
			if err != nil || m != tc.want || m.String() != tc.name || m.LowerIsBetter() != tc.lower {
				t.Errorf("ParseMetric(%q) = %v (lower is better %v), %v; want %v (%v)", tc.name, m, m.LowerIsBetter(), err, tc.want, tc.lower)
			}
		})
	}
	if _, err := ParseMetric("accuracy"); err == nil || !strings.Contains(err.Error(), `unknown metric "accuracy"`) {
		t.Errorf("ParseMetric(accuracy): error %v", err)
	}
	if got := Metric(7).String(); got != "Metric(7)" {
		t.Errorf("Metric(7).String() = %q", got)
	}
}

func TestMetricValue(t *testing.T) {
	withVal := &EpochStats{TrainLoss: 1, TrainAccuracy: 0.5, ValLoss: 2, ValAccuracy: 0.25, ValSamples: 10}
	noVal := &EpochStats{TrainLoss: 1, TrainAccuracy: 0.5}
	tests := []struct {
		name   string
		m      Metric
		s      *EpochStats
		want   float64
		wantOK bool
	}{
		{"val loss", ValLoss, withVal, 2, true},
		{"val accuracy", ValAccuracy, withVal, 0.25, true},
		{"train loss", TrainLoss, withVal, 1, true},
		{"train accuracy", TrainAccuracy, withVal, 0.5, true},
		{"val loss without validation", ValLoss, noVal, 0, false},
		{"val accuracy without validation", ValAccuracy, noVal, 0, false},
		{"unknown metric", Metric(-1), withVal, 0, false},
		{"nil stats", TrainLoss, nil, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if v, ok := tc.m.Value(tc.s); v != tc.want || ok != tc.wantOK {
				t.Errorf("Value = %v, %v; want %v, %v", v, ok, tc.want, tc.wantOK)
			}
		})
	}
}

// Bad settings fail when training begins, before any step.
func TestCallbackSettingsErrors(t *testing.T) {
	train, val := newBlobs(30, 1), newBlobs(15, 2)
	dir := t.TempDir()
	tests := []struct {
		name      string
		callbacks []Callback
		noVal     bool
		want      string
	}{
		{"negative patience", []Callback{&EarlyStopping{Patience: -1}}, false, "early stopping patience -1 is negative"},
		{"NaN min delta", []Callback{&EarlyStopping{MinDelta: math.NaN()}}, false, "early stopping min delta NaN"},
		{"unknown metric", []Callback{&EarlyStopping{Monitor: 9}}, false, "early stopping monitors unknown metric 9"},
		{"val loss without validation", []Callback{&EarlyStopping{}}, true, "early stopping monitors val_loss, but Fit has no validation data"},
		{"checkpoint without a place", []Callback{&ModelCheckpoint{SaveLast: true}}, false, "needs a Dir or a Path"},
		{"checkpoint with two places", []Callback{&ModelCheckpoint{Dir: dir, Path: func(string, int) string { return "" }, SaveLast: true}}, false, "not both"},
		{"checkpoint saving nothing", []Callback{&ModelCheckpoint{Dir: dir}}, false, "saves nothing"},
		{"negative interval", []Callback{&ModelCheckpoint{Dir: dir, SaveLast: true, Every: -2}}, false, "interval -2 is negative"},
		{"best without validation", []Callback{&ModelCheckpoint{Dir: dir, SaveBest: true}}, true, "model checkpoint monitors val_loss, but Fit has no validation data"},
		{"checkpoint before stateful", []Callback{&ModelCheckpoint{Dir: dir, SaveLast: true}, &EarlyStopping{}}, false, `must come after callback "early_stopping"`},
		{"state key twice", []Callback{&EarlyStopping{}, &EarlyStopping{}, &ModelCheckpoint{Dir: dir, SaveLast: true}}, false, `two callbacks have state key "early_stopping"`},
		{"no schedule", []Callback{&LRScheduler{}}, false, "learning rate scheduler has no schedule"},
		{"bad schedule", []Callback{&LRScheduler{Schedule: optim.StepDecay{Base: 0.1, Gamma: 0.5}}}, false, "step size 0 is below 1"},
		{"bad factor", []Callback{&ReduceLROnPlateau{Plateau: optim.ReduceOnPlateau{Factor: 2}}}, false, "factor 2 outside"},
		{"mode against monitor", []Callback{&ReduceLROnPlateau{Monitor: ValAccuracy, Plateau: optim.ReduceOnPlateau{Mode: optim.Minimize}}}, false, `monitors val_accuracy, which wants mode "max", but mode is "min"`},
		{"plateau with scheduler", []Callback{&LRScheduler{Schedule: optim.Exponential{Base: 0.1, Gamma: 0.9}}, &ReduceLROnPlateau{}}, false, "scheduler would overwrite"},
		{"history without files", []Callback{&HistoryLogger{}}, false, "history logger needs a JSONPath"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTestTrainer(t, 1)
			opts := FitOptions{Epochs: 2, BatchSize: 10, Validation: val, Callbacks: tc.callbacks}
			if tc.noVal {
				opts.Validation = nil
			}
			_, err := tr.Fit(context.Background(), train, opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if tr.Step != 0 {
				t.Errorf("trained %d steps before failing", tr.Step)
			}
		})
	}
}

func TestCheckpointRejectsSharedStateKey(t *testing.T) {
	tr := newTestTrainer(t, 1)
	err := tr.SaveCheckpoint(filepath.Join(t.TempDir(), "ck.safetensors"), []Callback{&EarlyStopping{}, &EarlyStopping{}}, nil)
	if err == nil || !strings.Contains(err.Error(), `two callbacks have state key "early_stopping"`) {
		t.Errorf("error %v", err)
	}
}
