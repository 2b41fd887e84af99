package recipes

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/gozoo/gozoo/io/loader"
)

// ErrStopTraining, returned by a callback, ends Fit cleanly after the current
// epoch's callbacks: Fit returns the history and no error.
var ErrStopTraining = errors.New("recipes: training stopped by a callback")

// FitOptions are the knobs of Fit. The zero value of each optional field
// means its documented default.
type FitOptions struct {
	// Epochs is the epoch to train up to (an absolute count: a trainer that
	// has completed 3 epochs and is asked for 5 trains 2 more). Required.
	Epochs int
	// BatchSize is the mini-batch size. Required.
	BatchSize int
	// Validation, if set, is evaluated after every epoch.
	Validation loader.Dataset
	// EvalBatchSize is the batch size for validation; default BatchSize.
	EvalBatchSize int
	// Callbacks run in order at each hook.
	Callbacks []Callback
	// ClipNorm, if positive, scales gradients so their global L2 norm is at
	// most ClipNorm. ClipValue, if positive, clamps each gradient element to
	// [-ClipValue, ClipValue].
	ClipNorm  float64
	ClipValue float64
	// MaxLoss stops training with a *LossLimitError when a batch's loss
	// exceeds it: training has diverged, and the update is not applied.
	// Zero means the default: 1e4 for a classification loss (a mean
	// cross-entropy of 1e4 nats gives the true class a probability below
	// e^-10000, which no working model does; a model that guesses uniformly
	// scores ln(classes)) and no limit for other losses. Negative disables it.
	// A NaN or infinite loss always stops training (*NonFiniteLossError).
	MaxLoss float64
}

// DefaultMaxClassificationLoss is MaxLoss's default for classification losses.
const DefaultMaxClassificationLoss = 1e4

func (o *FitOptions) lossLimit(loss interface{ Classification() bool }) float64 {
	switch {
	case o.MaxLoss > 0:
		return o.MaxLoss
	case o.MaxLoss == 0 && loss.Classification():
		return DefaultMaxClassificationLoss
	}
	return math.Inf(1)
}

// maxBatchSize and maxEpochs reject absurd settings before anything is
// allocated.
const (
	maxBatchSize = 1 << 20
	maxEpochs    = 1 << 20
)

// Validate checks the options.
func (o FitOptions) Validate() error {
	switch {
	case o.Epochs <= 0 || o.Epochs > maxEpochs:
		return fmt.Errorf("recipes: epochs must be in 1..%d, got %d", maxEpochs, o.Epochs)
	case o.BatchSize <= 0 || o.BatchSize > maxBatchSize:
		return fmt.Errorf("recipes: batch size must be in 1..%d, got %d", maxBatchSize, o.BatchSize)
	case o.EvalBatchSize < 0 || o.EvalBatchSize > maxBatchSize:
		return fmt.Errorf("recipes: eval batch size must be in 0..%d, got %d", maxBatchSize, o.EvalBatchSize)
	case o.ClipNorm < 0 || math.IsNaN(o.ClipNorm):
		return fmt.Errorf("recipes: clip norm must not be negative, got %v", o.ClipNorm)
	case o.ClipValue < 0 || math.IsNaN(o.ClipValue):
		return fmt.Errorf("recipes: clip value must not be negative, got %v", o.ClipValue)
	case math.IsNaN(o.MaxLoss):
		return fmt.Errorf("recipes: max loss must be a number, got NaN")
	}
	return nil
}

// EpochStats describes one completed epoch.
type EpochStats struct {
	Epoch         int     `json:"epoch"`
	TrainLoss     float64 `json:"train_loss"`
	TrainAccuracy float64 `json:"train_accuracy,omitempty"`
	// Validation figures; ValSamples is 0 when Fit had no validation data.
	ValLoss       float64 `json:"val_loss,omitempty"`
	ValAccuracy   float64 `json:"val_accuracy,omitempty"`
	ValSamples    int     `json:"val_samples,omitempty"`
	LearningRate  float64 `json:"learning_rate"`
	Steps         int64   `json:"steps"`
	Seconds       float64 `json:"seconds"`
	SamplesPerSec float64 `json:"samples_per_sec"`

	// Validation holds the full validation result, confusion matrix included.
	Validation *Evaluation `json:"-"`
}

// History is the record of a Fit call, one entry per epoch.
type History struct {
	Epochs []EpochStats `json:"epochs"`
}

// Last returns the last epoch's stats, or false if there are none.
func (h *History) Last() (EpochStats, bool) {
	if len(h.Epochs) == 0 {
		return EpochStats{}, false
	}
	return h.Epochs[len(h.Epochs)-1], true
}

// Fit trains the model on train until opts.Epochs epochs are complete,
// shuffling with the trainer's seeded source and using every sample each
// epoch (the last partial batch included). Cancelling ctx stops it between
// steps and returns the history so far with ctx's error; the trainer then
// remembers where in the epoch it stopped (InEpoch), checkpoints save it,
// and the next Fit, on this trainer or one from such a checkpoint, replays
// the epoch's shuffle and continues with its next batch, so that the
// parameters end as those of an uninterrupted run, bit for bit. It returns
// ErrInUse while another call runs on the trainer.
func (t *Trainer) Fit(ctx context.Context, train loader.Dataset, opts FitOptions) (*History, error) {
	if err := t.ready(true); err != nil {
		return nil, err
	}
	if ctx == nil {
		return nil, fmt.Errorf("recipes: Fit needs a context")
	}
	leave, err := t.guard.enterFit()
	if err != nil {
		return nil, err
	}
	defer leave()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	for i, c := range opts.Callbacks {
		if isNil(c) {
			return nil, fmt.Errorf("recipes: callback %d is nil", i+1)
		}
	}
	if err := t.checkData(train, true); err != nil {
		return nil, err
	}
	if opts.Validation != nil {
		if err := t.checkData(opts.Validation, true); err != nil {
			return nil, fmt.Errorf("validation data: %w", err)
		}
	}
	if opts.EvalBatchSize == 0 {
		opts.EvalBatchSize = opts.BatchSize
	}
	hist := &History{}
	run := &Run{Trainer: t, Options: &opts, History: hist}
	each := func(f func(Callback) error) error { return t.guard.callbacks(func() error { return run.each(f) }) }
	if err := each(func(c Callback) error { return c.OnTrainBegin(run) }); err != nil {
		return hist, stopErr(err)
	}
	for t.Epoch < opts.Epochs {
		stats, err := t.fitEpoch(ctx, run, train, each)
		if errors.Is(err, ErrStopTraining) {
			break // OnTrainEnd still runs
		}
		if err != nil {
			return hist, err
		}
		hist.Epochs = append(hist.Epochs, *stats)
		// Every callback sees the epoch end, even after one asked to stop.
		stop := false
		err = each(func(c Callback) error {
			err := c.OnEpochEnd(run, &hist.Epochs[len(hist.Epochs)-1])
			if errors.Is(err, ErrStopTraining) {
				stop, err = true, nil
			}
			return err
		})
		if err != nil {
			return hist, err
		}
		if stop {
			break
		}
	}
	return hist, stopErr(each(func(c Callback) error { return c.OnTrainEnd(run) }))
}

func stopErr(err error) error {
	if errors.Is(err, ErrStopTraining) {
		return nil
	}
	return err
}

// fitEpoch trains one epoch, or the rest of one a cancelled Fit left. A
// cancel before the first step of a fresh epoch leaves no position: nothing
// was drawn from the random source yet.
func (t *Trainer) fitEpoch(ctx context.Context, run *Run, train loader.Dataset, each func(func(Callback) error) error) (*EpochStats, error) {
	epoch := t.Epoch + 1
	if t.position == nil {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	if err := each(func(c Callback) error { return c.OnEpochBegin(run, epoch) }); err != nil {
		return nil, err
	}
	batchSize := run.Options.BatchSize
	e, err := t.startEpoch(train, batchSize)
	if err != nil {
		return nil, err
	}
	t.position = nil
	// Cancelled from here on, the epoch's shuffle has been drawn: record
	// where it stopped so that the next Fit replays it.
	stop := func(err error) (*EpochStats, error) {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			t.stopAt(e, train.Len(), batchSize)
		}
		return nil, err
	}
	start, startSeen := time.Now(), e.seen
	run.Batches = len(e.batches)
	classify := t.Loss.Classification()
	for ; e.next < len(e.batches); e.next++ {
		i, b := e.next, e.batches[e.next]
		if err := ctx.Err(); err != nil {
			return stop(err)
		}
		if err := each(func(c Callback) error { return c.OnBatchBegin(run, i+1) }); err != nil {
			return nil, err
		}
		loss, correct, err := t.trainStep(train, b, run.Options, classify)
		if err != nil {
			return nil, err
		}
		if err := t.checkLoss(loss, run.Options, epoch, i+1); err != nil {
			return nil, err
		}
		// The same sums metrics.Mean keeps, held here so that a
		// checkpoint can carry them across an interrupt exactly.
		e.lossSum += loss * float64(len(b))
		e.seen += len(b)
		e.correct += correct
		bs := BatchStats{Epoch: epoch, Batch: i + 1, Batches: len(e.batches), Size: len(b), Loss: loss, MeanLoss: e.lossSum / float64(e.seen), Step: t.Step}
		if err := each(func(c Callback) error { return c.OnBatchEnd(run, bs) }); err != nil {
			return nil, err
		}
	}
	secs := time.Since(start).Seconds()
	stats := &EpochStats{
		Epoch: epoch, TrainLoss: e.lossSum / float64(e.seen), LearningRate: t.Optimizer.LearningRate(),
		Steps: t.Step, Seconds: secs, SamplesPerSec: float64(e.seen-startSeen) / secs,
	}
	if classify {
		stats.TrainAccuracy = float64(e.correct) / float64(e.seen)
	}
	if run.Options.Validation != nil {
		ev, err := t.evaluate(ctx, run.Options.Validation, run.Options.EvalBatchSize)
		if err != nil {
			// Every batch is trained; a continuation validates and ends
			// the epoch.
			return stop(err)
		}
		stats.ValLoss, stats.ValAccuracy, stats.ValSamples, stats.Validation = ev.Loss, ev.Accuracy, ev.Samples, ev
	}
	t.Epoch = epoch
	return stats, nil
}

// checkLoss returns the error for a step's loss that is not finite or
// above the options' limit (trainStep did not apply such a step), or nil.
// The step is the trainer's next: trainStep did not count it. batch is 0
// for a step outside Fit's epochs (TrainOnBatch).
func (t *Trainer) checkLoss(loss float64, opts *FitOptions, epoch, batch int) error {
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return &NonFiniteLossError{Epoch: epoch, Batch: batch, Step: t.Step + 1, Loss: loss}
	}
	if limit := opts.lossLimit(t.Loss); loss > limit {
		return &LossLimitError{Epoch: epoch, Batch: batch, Step: t.Step + 1, Loss: loss, Limit: limit}
	}
	return nil
}

// stepPlace says where a step was: "epoch 2, batch 5 (step 605)", or
// "step 605" for one of TrainOnBatch (batch 0).
func stepPlace(epoch, batch int, step int64) string {
	if batch == 0 {
		return fmt.Sprintf("step %d", step)
	}
	return fmt.Sprintf("epoch %d, batch %d (step %d)", epoch, batch, step)
}

// NonFiniteLossError reports a loss that became NaN or infinite. The step
// that produced it was not applied. Batch is 0 for a TrainOnBatch step.
type NonFiniteLossError struct {
	Epoch, Batch int
	Step         int64
	Loss         float64
}

func (e *NonFiniteLossError) Error() string {
	return fmt.Sprintf("recipes: loss is %v at %s; the update was not applied", e.Loss, stepPlace(e.Epoch, e.Batch, e.Step))
}

// LossLimitError reports a finite loss above FitOptions.MaxLoss: training
// diverged. The step that produced it was not applied. Batch is 0 for a
// TrainOnBatch step.
type LossLimitError struct {
	Epoch, Batch int
	Step         int64
	Loss, Limit  float64
}

func (e *LossLimitError) Error() string {
	return fmt.Sprintf("recipes: training diverged: loss is %.4g at %s, above the limit %g; the update was not applied (lower the learning rate)",
		e.Loss, stepPlace(e.Epoch, e.Batch, e.Step), e.Limit)
}
