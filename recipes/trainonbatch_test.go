package recipes

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/io/loader"
)

// Steps of TrainOnBatch over Fit's own shuffle end where Fit ends, to the
// bit: it is Fit's step, not a copy of it.
func TestTrainOnBatchIsFitsStep(t *testing.T) {
	train := newBlobs(70, 3) // 8 batches of 8 and one of 6
	fit := newTestTrainer(t, 4)
	hist, err := fit.Fit(context.Background(), train, FitOptions{Epochs: 1, BatchSize: 8})
	if err != nil {
		t.Fatal(err)
	}
	steps := newTestTrainer(t, 4)
	batches, err := loader.Epoch(train.Len(), 8, steps.Rand()) // the shuffle Fit draws first
	if err != nil {
		t.Fatal(err)
	}
	var lossSum float64
	for _, b := range batches {
		loss, err := steps.TrainOnBatch(train, b)
		if err != nil {
			t.Fatal(err)
		}
		lossSum += loss * float64(len(b))
	}
	if !sameBits(paramBits(fit), paramBits(steps)) {
		t.Error("parameters after TrainOnBatch over Fit's batches differ from Fit's")
	}
	if !sameState(fit.Optimizer.State(), steps.Optimizer.State()) {
		t.Error("optimizer state differs from Fit's")
	}
	if steps.Step != fit.Step || steps.Step != int64(len(batches)) || steps.Epoch != 0 {
		t.Errorf("after %d steps: Step %d (Fit: %d), Epoch %d (want 0)", len(batches), steps.Step, fit.Step, steps.Epoch)
	}
	if got, want := lossSum/float64(train.Len()), hist.Epochs[0].TrainLoss; got != want {
		t.Errorf("mean TrainOnBatch loss %v, Fit's train loss %v", got, want)
	}
}

func TestTrainOnBatchErrors(t *testing.T) {
	train := newBlobs(16, 1)
	tests := []struct {
		name    string
		ds      loader.Dataset
		indices []int
		want    string
	}{
		{"no samples", train, nil, "a batch holds 1..1048576 samples, got 0"},
		{"index out of range", train, []int{0, 16}, "16"},
		{"negative index", train, []int{-1}, "-1"},
		{"wrong input shape", newPixels(4), []int{0, 1}, "model takes inputs of shape [4], dataset gives [784]"},
		{"no dataset", nil, []int{0}, "dataset is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTestTrainer(t, 1)
			before := paramBits(tr)
			_, err := tr.TrainOnBatch(tc.ds, tc.indices)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
			if !sameBits(before, paramBits(tr)) || tr.Step != 0 {
				t.Error("a rejected batch changed the trainer")
			}
		})
	}

	t.Run("non-finite loss", func(t *testing.T) {
		tr := newTestTrainer(t, 1)
		tr.Optimizer.SetLearningRate(1e30)
		var nf *NonFiniteLossError
		for i := 0; i < 20 && nf == nil; i++ {
			if _, err := tr.TrainOnBatch(train, []int{0, 1, 2, 3}); err != nil && !errors.As(err, &nf) {
				t.Fatal(err)
			}
		}
		if nf == nil {
			t.Fatal("20 steps at lr 1e30 gave no NonFiniteLossError")
		}
		if nf.Batch != 0 || nf.Step != tr.Step+1 || !strings.Contains(nf.Error(), "at step ") || strings.Contains(nf.Error(), "batch") {
			t.Errorf("error %q (batch %d, step %d; trainer at step %d)", nf, nf.Batch, nf.Step, tr.Step)
		}
		before := paramBits(tr)
		if _, e := tr.TrainOnBatch(train, []int{0, 1, 2, 3}); !errors.As(e, &nf) || !sameBits(before, paramBits(tr)) {
			t.Errorf("a step with a non-finite loss returned %v and changed the parameters: %v", e, !sameBits(before, paramBits(tr)))
		}
	})

	t.Run("inside Fit", func(t *testing.T) {
		tr := newTestTrainer(t, 1)
		cb := &stepper{train: train}
		if _, err := tr.Fit(context.Background(), train, FitOptions{Epochs: 1, BatchSize: 8, Callbacks: []Callback{cb}}); err != nil {
			t.Fatal(err)
		}
		if !errors.Is(cb.err, ErrInUse) {
			t.Errorf("TrainOnBatch from a Fit callback returned %v, want ErrInUse", cb.err)
		}
	})
}

// stepper calls TrainOnBatch from inside Fit.
type stepper struct {
	BaseCallback
	train loader.Dataset
	err   error
}

func (s *stepper) OnBatchEnd(r *Run, _ BatchStats) error {
	_, s.err = r.Trainer.TrainOnBatch(s.train, []int{0})
	return nil
}
