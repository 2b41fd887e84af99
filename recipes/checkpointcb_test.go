package recipes

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/nn"
)

func TestModelCheckpoint(t *testing.T) {
	train, val := newBlobs(60, 1), newBlobs(30, 2)
	// Best at epochs 1, 2 and 4; last every 2 epochs and at the final, 5.
	values := []float64{1, 0.8, 0.9, 0.7, 0.75}
	t.Run("files written", func(t *testing.T) {
		dir := t.TempDir()
		var written []string
		mc := &ModelCheckpoint{SaveBest: true, SaveLast: true, Every: 2, Path: func(name string, epoch int) string {
			written = append(written, fmt.Sprintf("%s-%d", name, epoch))
			return filepath.Join(dir, fmt.Sprintf("%s-%d.safetensors", name, epoch))
		}}
		_, err := newTestTrainer(t, 1).Fit(context.Background(), train, FitOptions{Epochs: 5, BatchSize: 20, Validation: val,
			Callbacks: []Callback{&script{values: values}, mc}})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"best-1", "best-2", "last-2", "best-4", "last-4", "last-5"}
		if !slices.Equal(written, want) {
			t.Errorf("wrote %v, want %v", written, want)
		}
		for _, name := range want {
			if _, err := os.Stat(filepath.Join(dir, name+".safetensors")); err != nil {
				t.Error(err)
			}
		}
	})
	t.Run("best and last load", func(t *testing.T) {
		dir := t.TempDir()
		sc := &script{values: values}
		mc := &ModelCheckpoint{Dir: filepath.Join(dir, "new"), SaveBest: true, SaveLast: true, Extra: map[string]string{"run": "test"}}
		tr := newTestTrainer(t, 1)
		if _, err := tr.Fit(context.Background(), train, FitOptions{Epochs: 5, BatchSize: 20, Validation: val,
			Callbacks: []Callback{sc, mc}}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			file  string
			epoch int
		}{{"best", 4}, {"last", 5}} {
			ck, resumed := resume(t, filepath.Join(dir, "new", tc.file+".safetensors"))
			if ck.Epoch != tc.epoch || ck.Step != int64(3*tc.epoch) || ck.File.Metadata["run"] != "test" {
				t.Errorf("%s holds epoch %d, step %d, metadata %v; want epoch %d", tc.file, ck.Epoch, ck.Step, ck.File.Metadata, tc.epoch)
			}
			if !sameBits(paramBits(resumed), sc.snaps[tc.epoch]) {
				t.Errorf("%s does not hold epoch %d's parameters", tc.file, tc.epoch)
			}
			// The best value in the file is the one as of its epoch, 0.7 from epoch 4.
			restored := &ModelCheckpoint{Dir: dir, SaveBest: true}
			if err := ck.RestoreCallbacks([]Callback{restored}); err != nil {
				t.Fatal(err)
			}
			if epoch, v, ok := restored.Best(); epoch != 4 || v != 0.7 || !ok {
				t.Errorf("%s restores best %v at epoch %d, want 0.7 at 4", tc.file, v, epoch)
			}
		}
	})
}

// resume loads a checkpoint and the trainer that continues it.
func resume(t *testing.T, path string) (*Checkpoint, *Trainer) {
	t.Helper()
	ck, err := LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := ck.Trainer(nn.SoftmaxCrossEntropy{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return ck, tr
}

// Fit stops at the first non-finite loss on its own; the last checkpoint
// written before is whole and holds the epoch before.
func TestNonFiniteLossKeepsLastCheckpoint(t *testing.T) {
	train := newBlobs(64, 1)
	dir := t.TempDir()
	sc := &script{}
	tr := newTestTrainer(t, 1)
	// A rate of 1e30 from epoch 3 on: its first step's loss is still
	// finite, the update it applies makes the next one overflow.
	_, err := tr.Fit(context.Background(), train, FitOptions{Epochs: 5, BatchSize: 8, Callbacks: []Callback{
		&LRScheduler{Schedule: jump{at: 2, before: 0.01, after: 1e30}}, sc, &ModelCheckpoint{Dir: dir, SaveLast: true},
	}})
	var nf *NonFiniteLossError
	if !errors.As(err, &nf) {
		t.Fatalf("Fit returned %v, want a NonFiniteLossError", err)
	}
	// 8 steps an epoch: the failing step of epoch 3 is step 16 + its batch.
	if nf.Epoch != 3 || nf.Batch < 2 || nf.Step != int64(16+nf.Batch) {
		t.Errorf("error at epoch %d, batch %d, step %d; want epoch 3, batch >= 2, step 16+batch", nf.Epoch, nf.Batch, nf.Step)
	}
	if want := fmt.Sprintf("at epoch 3, batch %d (step %d)", nf.Batch, nf.Step); !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
	ck, resumed := resume(t, filepath.Join(dir, "last.safetensors"))
	if ck.Epoch != 2 || ck.Step != 16 || !sameBits(paramBits(resumed), sc.snaps[2]) {
		t.Errorf("last checkpoint holds epoch %d, step %d; want epoch 2's parameters at step 16", ck.Epoch, ck.Step)
	}
}

type poison struct {
	BaseCallback
	epoch int
}

func (p *poison) OnEpochEnd(r *Run, s *EpochStats) error {
	if s.Epoch == p.epoch {
		r.Trainer.Model.Params()[0].Data()[0] = float32(math.NaN())
	}
	return nil
}

func TestModelCheckpointRefusesNonFiniteParameters(t *testing.T) {
	dir := t.TempDir()
	_, err := newTestTrainer(t, 1).Fit(context.Background(), newBlobs(30, 1), FitOptions{Epochs: 3, BatchSize: 10,
		Callbacks: []Callback{&poison{epoch: 2}, &ModelCheckpoint{Dir: dir, SaveLast: true}}})
	if err == nil || !strings.Contains(err.Error(), "is NaN after epoch 2") {
		t.Fatalf("error %v, want one about a NaN parameter", err)
	}
	ck, err := LoadCheckpoint(filepath.Join(dir, "last.safetensors"))
	if err != nil || ck.Epoch != 1 {
		t.Fatalf("last checkpoint: %v, %v; want epoch 1", ck, err)
	}
}

// With Keep 3, five epochs leave the newest checkpoint and the two before
// it, each holding its epoch's parameters; a run continued from an earlier
// one replaces the later copies it retrains.
func TestModelCheckpointKeepsTheLastN(t *testing.T) {
	train := newBlobs(60, 1)
	dir := t.TempDir()
	path := filepath.Join(dir, "checkpoint.safetensors")
	sc := &script{values: []float64{1, 1, 1, 1, 1}}
	mc := &ModelCheckpoint{Path: func(string, int) string { return path }, SaveLast: true, Keep: 3}
	tr := newTestTrainer(t, 1)
	if _, err := tr.Fit(context.Background(), train, FitOptions{Epochs: 5, BatchSize: 20, Callbacks: []Callback{sc, mc}}); err != nil {
		t.Fatal(err)
	}
	rotated, err := RotatedCheckpoints(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(rotated) != 2 || rotated[0].Epoch != 4 || rotated[1].Epoch != 3 || rotated[0].Path != filepath.Join(dir, "checkpoint-4.safetensors") {
		t.Fatalf("rotated checkpoints %+v, want epochs 4 and 3", rotated)
	}
	for _, f := range []struct {
		path  string
		epoch int
	}{{path, 5}, {rotated[0].Path, 4}, {rotated[1].Path, 3}} {
		ck, resumed := resume(t, f.path)
		if ck.Epoch != f.epoch || !sameBits(paramBits(resumed), sc.snaps[f.epoch]) {
			t.Errorf("%s holds epoch %d, want epoch %d's parameters", filepath.Base(f.path), ck.Epoch, f.epoch)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Errorf("folder holds %d files, want 3", len(entries))
	}

	// Continue from epoch 3 to 4: the epoch-5 checkpoint is replaced (not
	// kept: it is ahead of the new run) and checkpoint-4, retrained, goes.
	_, again := resume(t, rotated[1].Path)
	mc2 := &ModelCheckpoint{Path: func(string, int) string { return path }, SaveLast: true, Keep: 3}
	if _, err := again.Fit(context.Background(), train, FitOptions{Epochs: 4, BatchSize: 20, Callbacks: []Callback{mc2}}); err != nil {
		t.Fatal(err)
	}
	rotated, _ = RotatedCheckpoints(path)
	if len(rotated) != 1 || rotated[0].Epoch != 3 {
		t.Errorf("after continuing from epoch 3: rotated %+v, want epoch 3 only", rotated)
	}
	if ck, _ := resume(t, path); ck.Epoch != 4 {
		t.Errorf("newest checkpoint holds epoch %d, want 4", ck.Epoch)
	}
	if err := (&ModelCheckpoint{Dir: dir, SaveLast: true, Keep: -1}).Validate(); err == nil {
		t.Error("a negative Keep is valid")
	}
}
