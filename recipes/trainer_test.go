package recipes

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/nn"
	"github.com/gozoo/gozoo/optim"
	"github.com/gozoo/gozoo/zoo/mlp"
)

// blobs is a synthetic 3-class problem: Gaussian clusters in 4 dimensions.
type blobs struct {
	x      []float32
	labels []int
}

func newBlobs(n int, seed uint64) *blobs {
	rng := rand.New(rand.NewPCG(seed, 1))
	b := &blobs{}
	for i := 0; i < n; i++ {
		c := i % 3
		b.labels = append(b.labels, c)
		for j := 0; j < 4; j++ {
			center := 0.0
			if j == c {
				center = 2
			}
			b.x = append(b.x, float32(center+rng.NormFloat64()*0.7))
		}
	}
	return b
}

func (b *blobs) Len() int                   { return len(b.labels) }
func (b *blobs) InputShape() []int          { return []int{4} }
func (b *blobs) Input(i int, dst []float32) { copy(dst, b.x[i*4:(i+1)*4]) }
func (b *blobs) Classes() int               { return 3 }
func (b *blobs) Label(i int) int            { return b.labels[i] }

func newTestTrainer(t *testing.T, seed uint64) *Trainer {
	t.Helper()
	m, err := mlp.New(mlp.Config{Inputs: 4, Hidden: []int{8}, Outputs: 3}, rand.New(rand.NewPCG(seed, 0)))
	if err != nil {
		t.Fatal(err)
	}
	opt, err := optim.New("adam", optim.Common{LearningRate: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewTrainer(m, nn.SoftmaxCrossEntropy{}, opt, seed)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

func paramBits(tr *Trainer) []uint32 {
	var bits []uint32
	for _, p := range tr.Model.Params() {
		for _, v := range p.Data() {
			bits = append(bits, math.Float32bits(v))
		}
	}
	return bits
}

func sameBits(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFitLearnsAndUsesEverySample(t *testing.T) {
	train, test := newBlobs(203, 1), newBlobs(91, 2)
	tr := newTestTrainer(t, 1)
	var seen counter
	hist, err := tr.Fit(context.Background(), train, FitOptions{Epochs: 5, BatchSize: 32, Validation: test, Callbacks: []Callback{&seen}})
	if err != nil {
		t.Fatal(err)
	}
	if seen.samples != 5*203 {
		t.Errorf("trained on %d samples, want every sample each epoch: %d", seen.samples, 5*203)
	}
	if len(hist.Epochs) != 5 {
		t.Fatalf("history has %d epochs, want 5", len(hist.Epochs))
	}
	first, last := hist.Epochs[0], hist.Epochs[4]
	if !(last.TrainLoss < first.TrainLoss) {
		t.Errorf("train loss did not fall: %v -> %v", first.TrainLoss, last.TrainLoss)
	}
	if last.ValAccuracy < 0.85 || last.ValSamples != 91 {
		t.Errorf("validation accuracy %v over %d samples, want >= 0.85 over 91", last.ValAccuracy, last.ValSamples)
	}
	ev, err := tr.Evaluate(context.Background(), test, 10)
	if err != nil {
		t.Fatal(err)
	}
	// Evaluate with another batch size (a different remainder) gives the same figures.
	if ev.Accuracy != last.ValAccuracy || math.Abs(ev.Loss-last.ValLoss) > 1e-6 {
		t.Errorf("Evaluate = %v/%v, Fit's validation = %v/%v", ev.Accuracy, ev.Loss, last.ValAccuracy, last.ValLoss)
	}
	out, err := tr.Predict(context.Background(), test, 64)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 91*3 {
		t.Fatalf("Predict gave %d values, want %d", len(out), 91*3)
	}
	correct := 0
	for i := 0; i < 91; i++ {
		best := 0
		for c := 1; c < 3; c++ {
			if out[i*3+c] > out[i*3+best] {
				best = c
			}
		}
		if best == test.Label(i) {
			correct++
		}
	}
	if got := float64(correct) / 91; got != ev.Accuracy {
		t.Errorf("Predict's argmax accuracy %v, Evaluate's %v", got, ev.Accuracy)
	}
}

type counter struct {
	BaseCallback
	samples int
}

func (c *counter) OnBatchEnd(_ *Run, s BatchStats) error { c.samples += s.Size; return nil }

// Evaluating after every epoch must not change the training trajectory by a
// single bit: evaluation programs are forward-only and share nothing mutable
// with training but the parameters, which they only read.
func TestValidationDoesNotChangeTraining(t *testing.T) {
	train, test := newBlobs(150, 3), newBlobs(70, 4)
	plain := newTestTrainer(t, 7)
	if _, err := plain.Fit(context.Background(), train, FitOptions{Epochs: 3, BatchSize: 16}); err != nil {
		t.Fatal(err)
	}
	watched := newTestTrainer(t, 7)
	evalEveryStep := &evaluator{ds: test}
	if _, err := watched.Fit(context.Background(), train, FitOptions{Epochs: 3, BatchSize: 16, Validation: test,
		Callbacks: []Callback{evalEveryStep}}); err != nil {
		t.Fatal(err)
	}
	if evalEveryStep.runs == 0 {
		t.Fatal("the evaluating callback never ran")
	}
	if !sameBits(paramBits(plain), paramBits(watched)) {
		t.Error("evaluation changed the trained parameters")
	}
	if !sameState(plain.Optimizer.State(), watched.Optimizer.State()) {
		t.Error("evaluation changed the optimizer state")
	}
}

type evaluator struct {
	BaseCallback
	ds   *blobs
	runs int
}

func (e *evaluator) OnBatchEnd(r *Run, _ BatchStats) error {
	e.runs++
	_, err := r.Trainer.Evaluate(context.Background(), e.ds, 7)
	return err
}

func sameState(a, b optim.State) bool {
	if a.Step != b.Step || len(a.Tensors) != len(b.Tensors) {
		return false
	}
	for i := range a.Tensors {
		for j, v := range a.Tensors[i].Data {
			if math.Float32bits(v) != math.Float32bits(b.Tensors[i].Data[j]) {
				return false
			}
		}
	}
	return true
}

func TestSameSeedSameBits(t *testing.T) {
	train := newBlobs(100, 5)
	run := func(seed uint64) []uint32 {
		tr := newTestTrainer(t, seed)
		if _, err := tr.Fit(context.Background(), train, FitOptions{Epochs: 2, BatchSize: 8}); err != nil {
			t.Fatal(err)
		}
		return paramBits(tr)
	}
	a, b, c := run(11), run(11), run(12)
	if !sameBits(a, b) {
		t.Error("two runs with seed 11 differ")
	}
	if sameBits(a, c) {
		t.Error("seeds 11 and 12 gave identical parameters")
	}
}

// Two epochs straight must equal one epoch, a checkpoint, a new process's
// worth of state, and a resume to two, to the bit.
func TestResumeIsBitIdentical(t *testing.T) {
	train := newBlobs(120, 6)
	straight := newTestTrainer(t, 3)
	if _, err := straight.Fit(context.Background(), train, FitOptions{Epochs: 2, BatchSize: 16}); err != nil {
		t.Fatal(err)
	}
	first := newTestTrainer(t, 3)
	if _, err := first.Fit(context.Background(), train, FitOptions{Epochs: 1, BatchSize: 16}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ck.safetensors")
	if err := first.SaveCheckpoint(path, nil, map[string]string{"note": "x"}); err != nil {
		t.Fatal(err)
	}
	ck, err := LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Epoch != 1 || ck.File.Metadata["note"] != "x" {
		t.Errorf("checkpoint epoch %d, metadata %v", ck.Epoch, ck.File.Metadata)
	}
	resumed, err := ck.Trainer(nn.SoftmaxCrossEntropy{})
	if err != nil {
		t.Fatal(err)
	}
	defer resumed.Close()
	hist, err := resumed.Fit(context.Background(), train, FitOptions{Epochs: 2, BatchSize: 16})
	if err != nil {
		t.Fatal(err)
	}
	if len(hist.Epochs) != 1 || hist.Epochs[0].Epoch != 2 {
		t.Errorf("resumed run trained epochs %+v, want only epoch 2", hist.Epochs)
	}
	if !sameBits(paramBits(straight), paramBits(resumed)) {
		t.Error("resumed parameters differ from the uninterrupted run")
	}
	if !sameState(straight.Optimizer.State(), resumed.Optimizer.State()) {
		t.Error("resumed optimizer state differs from the uninterrupted run")
	}
	if _, err := ck.Trainer(nn.MSE{}); err == nil || !strings.Contains(err.Error(), "softmax_cross_entropy") {
		t.Errorf("resuming with another loss: error %v", err)
	}
}

func TestFitErrors(t *testing.T) {
	train := newBlobs(30, 1)
	tests := []struct {
		name string
		ds   *blobs
		opts FitOptions
		want string
	}{
		{"zero epochs", train, FitOptions{Epochs: 0, BatchSize: 8}, "epochs must be in"},
		{"negative batch", train, FitOptions{Epochs: 1, BatchSize: -1}, "batch size must be in"},
		{"absurd batch", train, FitOptions{Epochs: 1, BatchSize: 1 << 40}, "batch size must be in"},
		{"empty data", &blobs{}, FitOptions{Epochs: 1, BatchSize: 8}, "dataset is empty"},
		{"negative clip", train, FitOptions{Epochs: 1, BatchSize: 8, ClipNorm: -1}, "clip norm"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTestTrainer(t, 1)
			_, err := tr.Fit(context.Background(), tc.ds, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	t.Run("wrong input shape", func(t *testing.T) {
		m, _ := mlp.New(mlp.Config{Inputs: 5, Outputs: 3}, rand.New(rand.NewPCG(1, 1)))
		opt, _ := optim.New("sgd", optim.Common{LearningRate: 0.1})
		tr, _ := NewTrainer(m, nn.SoftmaxCrossEntropy{}, opt, 1)
		_, err := tr.Fit(context.Background(), train, FitOptions{Epochs: 1, BatchSize: 8})
		if err == nil || !strings.Contains(err.Error(), "model takes inputs of shape [5], dataset gives [4]") {
			t.Fatalf("error %v", err)
		}
	})
}

func TestFitStopsOnCancelAndNonFiniteLoss(t *testing.T) {
	train := newBlobs(64, 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tr := newTestTrainer(t, 1)
	if _, err := tr.Fit(ctx, train, FitOptions{Epochs: 1, BatchSize: 8}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Fit returned %v", err)
	}
	tr = newTestTrainer(t, 1)
	tr.Optimizer.SetLearningRate(1e30)
	_, err := tr.Fit(context.Background(), train, FitOptions{Epochs: 3, BatchSize: 8})
	var nf *NonFiniteLossError
	if !errors.As(err, &nf) {
		t.Fatalf("Fit with lr 1e30 returned %v, want a NonFiniteLossError", err)
	}
	if nf.Epoch < 1 || nf.Batch < 1 || !strings.Contains(err.Error(), "epoch") {
		t.Errorf("error %v does not name the epoch and batch", err)
	}
	for _, p := range tr.Model.Params() {
		for _, v := range p.Data() {
			if math.IsNaN(float64(v)) {
				t.Fatal("the non-finite update was applied to the parameters")
			}
		}
	}
}

func TestFitStopsWhenTheLossDiverges(t *testing.T) {
	train := newBlobs(64, 1)
	tr := newTestTrainer(t, 1)
	before := paramBits(tr)
	_, err := tr.Fit(context.Background(), train, FitOptions{Epochs: 1, BatchSize: 8, MaxLoss: 1e-3})
	var le *LossLimitError
	if !errors.As(err, &le) {
		t.Fatalf("Fit returned %v, want a LossLimitError", err)
	}
	if le.Epoch != 1 || le.Batch != 1 || le.Step != 1 || !strings.Contains(err.Error(), "step 1") {
		t.Errorf("error %v names the wrong place", err)
	}
	if !sameBits(before, paramBits(tr)) {
		t.Error("the diverged update was applied")
	}
	tr = newTestTrainer(t, 1)
	if _, err := tr.Fit(context.Background(), train, FitOptions{Epochs: 1, BatchSize: 8, MaxLoss: -1}); err != nil {
		t.Errorf("a negative MaxLoss should disable the limit: %v", err)
	}
}
