package recipes

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/nn"
	"github.com/gozoo/gozoo/optim"
)

// dropoutTrainer trains a small network with BatchNorm and dropout, so that
// an exact continuation needs the dropout masks' random draws, the running
// statistics and the shuffle all to line up.
func dropoutTrainer(t *testing.T) *Trainer {
	t.Helper()
	b := nn.NewBuilder([]int{4}, rand.New(rand.NewPCG(5, 0)))
	b.Dense("dense1", 16).BatchNorm("bn").ReLU("relu").Dropout("dropout", 0.4).Dense("logits", 3)
	m, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return adamTrainer(t, m)
}

// adamTrainer trains m with Adam at 0.01, seed 17, closed at the test's end.
func adamTrainer(t *testing.T, m nn.Model) *Trainer {
	t.Helper()
	opt, err := optim.New("adam", optim.Common{LearningRate: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewTrainer(m, nn.SoftmaxCrossEntropy{}, opt, 17)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

// graphDropoutTrainer trains a graph model with BatchNorm and dropout on
// one path, a residual Add and a Concatenate of two paths.
func graphDropoutTrainer(t *testing.T) *Trainer {
	t.Helper()
	b := nn.NewGraphBuilder(rand.New(rand.NewPCG(5, 0)))
	x := b.Input("x", 4)
	h := b.Dropout("dropout", b.ReLU("relu", b.BatchNorm("bn", b.Dense("dense1", x, 16))), 0.4)
	h = b.Add("add", b.Dense("dense2", h, 16), h)
	m, err := b.Build(b.Dense("logits", b.Concatenate("concat", 0, h, x), 3))
	if err != nil {
		t.Fatal(err)
	}
	return adamTrainer(t, m)
}

// cancelAfter cancels its context when the step counter reaches step.
type cancelAfter struct {
	BaseCallback
	step   int64
	cancel context.CancelFunc
}

func (c *cancelAfter) OnBatchEnd(r *Run, s BatchStats) error {
	if s.Step == c.step {
		c.cancel()
	}
	return nil
}

// A Fit cancelled after any batch, saved, loaded and continued (in a fresh
// trainer, as a new process would) ends with the uninterrupted run's
// parameters, optimizer state and history, bit for bit, for a Sequential
// and for a graph model. 150 samples in batches of 16 are 10 batches an
// epoch, the last of 6.
func TestMidEpochInterruptResumesBitIdentical(t *testing.T) {
	for _, tc := range []struct {
		name    string
		trainer func(*testing.T) *Trainer
		kind    string
	}{{"sequential", dropoutTrainer, nn.SequentialKind}, {"graph", graphDropoutTrainer, nn.GraphKind}} {
		t.Run(tc.name, func(t *testing.T) { testMidEpochResume(t, tc.trainer, tc.kind) })
	}
}

func testMidEpochResume(t *testing.T, dropoutTrainer func(*testing.T) *Trainer, kind string) {
	train, val := newBlobs(150, 8), newBlobs(40, 9)
	opts := func(cbs ...Callback) FitOptions {
		return FitOptions{Epochs: 3, BatchSize: 16, Validation: val, Callbacks: cbs}
	}
	straight := dropoutTrainer(t)
	want, err := straight.Fit(context.Background(), train, opts())
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []int64{1, 4, 9, 10, 11, 17, 20, 29} {
		t.Run(fmt.Sprint("step ", step), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			first := dropoutTrainer(t)
			hist, err := first.Fit(ctx, train, opts(&cancelAfter{step: step, cancel: cancel}))
			if err != context.Canceled {
				t.Fatalf("Fit returned %v, want context.Canceled", err)
			}
			batch, batches := first.InEpoch()
			if first.Step != step || batches != 10 || int64(first.Epoch*10+batch) != step {
				t.Fatalf("stopped at epoch %d, batch %d of %d, step %d; want step %d", first.Epoch, batch, batches, first.Step, step)
			}
			path := filepath.Join(t.TempDir(), "interrupted.safetensors")
			if err := first.SaveCheckpoint(path, nil, nil); err != nil {
				t.Fatal(err)
			}
			ck, err := LoadCheckpoint(path)
			if err != nil {
				t.Fatal(err)
			}
			if ck.Model.Kind() != kind {
				t.Fatalf("checkpoint holds a %s model, want %s", ck.Model.Kind(), kind)
			}
			if ck.Epoch != first.Epoch || ck.Step != step || ck.Batch != batch || ck.Batches != 10 {
				t.Errorf("checkpoint at epoch %d, batch %d of %d, step %d", ck.Epoch, ck.Batch, ck.Batches, ck.Step)
			}
			resumed, err := ck.Trainer(nn.SoftmaxCrossEntropy{})
			if err != nil {
				t.Fatal(err)
			}
			defer resumed.Close()
			rest, err := resumed.Fit(context.Background(), train, opts())
			if err != nil {
				t.Fatal(err)
			}
			if !sameBits(paramBits(straight), paramBits(resumed)) {
				t.Error("parameters differ from the uninterrupted run")
			}
			if !sameState(straight.Optimizer.State(), resumed.Optimizer.State()) {
				t.Error("optimizer state differs from the uninterrupted run")
			}
			got := append(hist.Epochs, rest.Epochs...)
			if len(got) != len(want.Epochs) {
				t.Fatalf("%d epochs in the two parts, want %d", len(got), len(want.Epochs))
			}
			for i, w := range want.Epochs {
				g := got[i]
				if g.Epoch != w.Epoch || g.Steps != w.Steps || math.Float64bits(g.TrainLoss) != math.Float64bits(w.TrainLoss) ||
					g.TrainAccuracy != w.TrainAccuracy || g.ValLoss != w.ValLoss || g.ValAccuracy != w.ValAccuracy {
					t.Errorf("epoch %d: %+v, uninterrupted %+v", w.Epoch, g, w)
				}
			}

			// The same trainer, without a checkpoint, continues the same way.
			if _, err := first.Fit(context.Background(), train, opts()); err != nil {
				t.Fatal(err)
			}
			if !sameBits(paramBits(straight), paramBits(first)) {
				t.Error("continuing the cancelled trainer in memory gave other parameters")
			}
		})
	}
}

// A mid-epoch checkpoint continues with the data and batch size it was cut
// from, and a cancel before the first step of an epoch leaves no position.
func TestMidEpochPositionChecks(t *testing.T) {
	train := newBlobs(150, 8)
	ctx, cancel := context.WithCancel(context.Background())
	tr := dropoutTrainer(t)
	if _, err := tr.Fit(ctx, train, FitOptions{Epochs: 2, BatchSize: 16, Callbacks: []Callback{&cancelAfter{step: 3, cancel: cancel}}}); err != context.Canceled {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		ds   *blobs
		opts FitOptions
	}{
		{"other batch size", train, FitOptions{Epochs: 2, BatchSize: 32}},
		{"other data", newBlobs(151, 8), FitOptions{Epochs: 2, BatchSize: 16}},
	} {
		if _, err := tr.Fit(context.Background(), tc.ds, tc.opts); err == nil || !strings.Contains(err.Error(), "interrupted after batch 3") {
			t.Errorf("%s: error %v", tc.name, err)
		}
	}

	fresh := dropoutTrainer(t)
	done, stop := context.WithCancel(context.Background())
	stop()
	if _, err := fresh.Fit(done, train, FitOptions{Epochs: 1, BatchSize: 16}); err != context.Canceled {
		t.Fatal(err)
	}
	if b, n := fresh.InEpoch(); b != 0 || n != 0 || fresh.Step != 0 {
		t.Errorf("a cancel before training left batch %d of %d, step %d", b, n, fresh.Step)
	}
}
