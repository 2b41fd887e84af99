package recipes

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"testing"
)

// Scripted values make each decision known in advance; the expected epochs
// follow from the rule: an epoch improves when it beats the best by more
// than MinDelta, and training stops at the Patience-th epoch in a row that
// does not.
func TestEarlyStopping(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		name    string
		stop    EarlyStopping
		values  []float64
		epochs  int
		stopped int // 0: ran to epochs
		best    int
	}{
		// 0.8 at epoch 2 is best; 3 and 4 do not beat it.
		{"stops after patience", EarlyStopping{Patience: 2, RestoreBest: true}, []float64{1, 0.8, 0.9, 0.85, 0.5}, 8, 4, 2},
		// 0.95 and 0.93 fall by less than 0.1 from 1.
		{"min delta", EarlyStopping{Patience: 2, MinDelta: 0.1, RestoreBest: true}, []float64{1, 0.95, 0.93, 0.5}, 8, 3, 1},
		{"patience 0 acts as 1", EarlyStopping{RestoreBest: true}, []float64{1, 1, 0.5}, 8, 2, 1},
		{"accuracy must rise", EarlyStopping{Monitor: ValAccuracy, Patience: 2, RestoreBest: true}, []float64{0.5, 0.7, 0.6, 0.7, 0.9}, 8, 4, 2},
		{"train loss", EarlyStopping{Monitor: TrainLoss, Patience: 1, RestoreBest: true}, []float64{3, 2, 2.5}, 8, 3, 2},
		{"NaN and Inf never improve", EarlyStopping{Patience: 2, RestoreBest: true}, []float64{1, nan, inf, 0.5}, 8, 3, 1},
		{"improving to the end", EarlyStopping{RestoreBest: true}, []float64{5, 4, 3, 2, 1}, 5, 0, 5},
		{"without restore", EarlyStopping{Patience: 2}, []float64{1, 0.8, 0.9, 0.85}, 8, 4, 2},
	}
	train, val := newBlobs(60, 1), newBlobs(30, 2)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTestTrainer(t, 1)
			sc := &script{metric: tc.stop.Monitor, values: tc.values}
			stop, after := &tc.stop, &hooks{}
			hist, err := tr.Fit(context.Background(), train, FitOptions{Epochs: tc.epochs, BatchSize: 20, Validation: val,
				Callbacks: []Callback{sc, stop, after}})
			if err != nil {
				t.Fatal(err)
			}
			ran := tc.epochs
			if tc.stopped > 0 {
				ran = tc.stopped
			}
			if stop.StoppedEpoch != tc.stopped || len(hist.Epochs) != ran || tr.Epoch != ran {
				t.Errorf("stopped after epoch %d with %d epochs in the history, trainer at %d; want %d, %d", stop.StoppedEpoch, len(hist.Epochs), tr.Epoch, tc.stopped, ran)
			}
			if epoch, v, ok := stop.Best(); !ok || epoch != tc.best || v != tc.values[tc.best-1] {
				t.Errorf("Best() = %d, %v, %v; want epoch %d", epoch, v, ok, tc.best)
			}
			// The callbacks after the one that stopped still saw the last epoch end.
			if after.epochEnds != ran || after.trainEnds != 1 {
				t.Errorf("a later callback saw %d epoch ends and %d train ends, want %d and 1", after.epochEnds, after.trainEnds, ran)
			}
			wantParams, wantRestored := sc.snaps[ran], 0
			if tc.stop.RestoreBest {
				wantParams, wantRestored = sc.snaps[tc.best], tc.best
			}
			if stop.RestoredEpoch != wantRestored {
				t.Errorf("restored epoch %d, want %d", stop.RestoredEpoch, wantRestored)
			}
			if !sameBits(paramBits(tr), wantParams) {
				t.Errorf("parameters are not those of epoch %d", max(wantRestored, ran))
			}
		})
	}
}

// A real run: the learning rate jumps after three epochs so that validation
// loss rises; the restored model must evaluate to the best epoch's loss.
func TestEarlyStoppingRestoresOnDivergence(t *testing.T) {
	train, val := newBlobs(90, 1), newBlobs(45, 2)
	tr := newTestTrainer(t, 2)
	stop := &EarlyStopping{Patience: 2, RestoreBest: true}
	hist, err := tr.Fit(context.Background(), train, FitOptions{Epochs: 30, BatchSize: 15, Validation: val,
		Callbacks: []Callback{&LRScheduler{Schedule: jump{at: 3, before: 0.05, after: 3}}, stop}})
	if err != nil {
		t.Fatal(err)
	}
	best, bestLoss, _ := stop.Best()
	// Measured: validation loss 0.49, 0.24, 0.19, then 9.3 and 18 at rate 3.
	if best != 3 || stop.StoppedEpoch != 5 {
		t.Fatalf("stopped after epoch %d with the best at %d; want 5 and 3 (history %+v)", stop.StoppedEpoch, best, hist.Epochs)
	}
	if hist.Epochs[best-1].ValLoss != bestLoss || stop.RestoredEpoch != best {
		t.Errorf("best %v restored from epoch %d, history says %v at epoch %d", bestLoss, stop.RestoredEpoch, hist.Epochs[best-1].ValLoss, best)
	}
	ev, err := tr.Evaluate(context.Background(), val, 15)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(ev.Loss-bestLoss) > 1e-6 {
		t.Errorf("restored model's validation loss %v, best epoch's %v", ev.Loss, bestLoss)
	}
}

// A resumed run stops where the uninterrupted one does: the best value and
// the count of bad epochs come back from the checkpoint; the best
// parameters do not.
func TestEarlyStoppingResumes(t *testing.T) {
	train, val := newBlobs(60, 1), newBlobs(30, 2)
	values := []float64{1, 0.8, 0.9, 0.85, 0.95, 0.7, 0.6, 0.5}
	opts := func(epochs int, cbs ...Callback) FitOptions {
		return FitOptions{Epochs: epochs, BatchSize: 20, Validation: val, Callbacks: cbs}
	}
	straight := &EarlyStopping{Patience: 3, RestoreBest: true}
	if _, err := newTestTrainer(t, 1).Fit(context.Background(), train, opts(8, &script{values: values}, straight)); err != nil {
		t.Fatal(err)
	}
	if straight.StoppedEpoch != 5 {
		t.Fatalf("uninterrupted run stopped after epoch %d, want 5", straight.StoppedEpoch)
	}

	dir := t.TempDir()
	first := &EarlyStopping{Patience: 3, RestoreBest: true}
	if _, err := newTestTrainer(t, 1).Fit(context.Background(), train, opts(3, &script{values: values}, first, &ModelCheckpoint{Dir: dir, SaveLast: true})); err != nil {
		t.Fatal(err)
	}
	ck, tr := resume(t, filepath.Join(dir, "last.safetensors"))
	resumed := &EarlyStopping{Patience: 3, RestoreBest: true}
	cbs := []Callback{&script{values: values}, resumed}
	if err := ck.RestoreCallbacks(cbs); err != nil {
		t.Fatal(err)
	}
	if epoch, v, _ := resumed.Best(); epoch != 2 || v != 0.8 {
		t.Fatalf("restored best %v at epoch %d, want 0.8 at 2", v, epoch)
	}
	if _, err := tr.Fit(context.Background(), train, opts(8, cbs...)); err != nil {
		t.Fatal(err)
	}
	if resumed.StoppedEpoch != 5 || resumed.RestoredEpoch != 0 {
		t.Errorf("resumed run stopped after epoch %d and restored %d; want 5 and none (epoch 2 was before the resume)", resumed.StoppedEpoch, resumed.RestoredEpoch)
	}
}

func TestEarlyStoppingState(t *testing.T) {
	e := &EarlyStopping{state: earlyStoppingState{best: best{Value: 0.25, Has: true, Epoch: 3}, Wait: 2}}
	data, err := e.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	var back EarlyStopping
	if err := back.UnmarshalState(data); err != nil || back.state != e.state {
		t.Errorf("state %s came back as %+v, %v", data, back.state, err)
	}
	for _, bad := range []string{`{"wait":-1}`, `{"best_epoch":-1}`, `[1]`} {
		if err := back.UnmarshalState([]byte(bad)); err == nil {
			t.Errorf("state %s: no error", bad)
		}
	}
}

// RestoreBest puts back every parameter, BatchNorm's running mean and
// variance (not trainable, moved by the forward pass) included, as of the
// best epoch. Each tensor is checked by name; the running statistics must
// have moved after the best epoch, or the check would prove nothing.
func TestEarlyStoppingRestoresRunningStatistics(t *testing.T) {
	train, val := newBlobs(90, 3), newBlobs(30, 4)
	tr := dropoutTrainer(t) // dense, BatchNorm1D, ReLU, dropout, dense
	snaps := &paramSnaps{}
	sc := &script{values: []float64{1, 0.5, 0.9, 0.8, 0.7}}
	stop := &EarlyStopping{Patience: 3, RestoreBest: true}
	if _, err := tr.Fit(context.Background(), train, FitOptions{Epochs: 10, BatchSize: 16, Validation: val,
		Callbacks: []Callback{sc, snaps, stop}}); err != nil {
		t.Fatal(err)
	}
	if stop.StoppedEpoch != 5 || stop.RestoredEpoch != 2 {
		t.Fatalf("stopped after %d, restored %d; want 5 and 2", stop.StoppedEpoch, stop.RestoredEpoch)
	}
	best, last := snaps.byEpoch[2], snaps.byEpoch[5]
	stats := 0
	for _, p := range tr.Model.Params() {
		got := slices.Clone(p.Data())
		if !slices.Equal(got, best[p.Name]) {
			t.Errorf("%s is not restored to epoch 2", p.Name)
		}
		if !p.Trainable {
			stats++
			if slices.Equal(best[p.Name], last[p.Name]) {
				t.Errorf("%s did not change after epoch 2", p.Name)
			}
		}
	}
	if stats != 2 {
		t.Errorf("%d non-trainable parameters, want BatchNorm's running mean and variance", stats)
	}
}

// paramSnaps records every parameter by name at each epoch's end.
type paramSnaps struct {
	BaseCallback
	byEpoch map[int]map[string][]float32
}

func (s *paramSnaps) OnEpochEnd(r *Run, e *EpochStats) error {
	if s.byEpoch == nil {
		s.byEpoch = map[int]map[string][]float32{}
	}
	m := map[string][]float32{}
	for _, p := range r.Trainer.Model.Params() {
		m[p.Name] = slices.Clone(p.Data())
	}
	s.byEpoch[e.Epoch] = m
	return nil
}
