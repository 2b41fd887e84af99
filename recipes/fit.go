package recipes

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/gozoo/gozoo/io/loader"
	"github.com/gozoo/gozoo/metrics"
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
// steps and returns the history so far with ctx's error.
func (t *Trainer) Fit(ctx context.Context, train loader.Dataset, opts FitOptions) (*History, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
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
	if err := run.each(func(c Callback) error { return c.OnTrainBegin(run) }); err != nil {
		return hist, stopErr(err)
	}
	var conf *metrics.Confusion
	if t.Loss.Classification() {
		var err error
		if conf, err = metrics.NewConfusion(t.Model.OutputShape()[0]); err != nil {
			return hist, err
		}
	}
	for t.Epoch < opts.Epochs {
		stats, err := t.fitEpoch(ctx, run, train, conf)
		if errors.Is(err, ErrStopTraining) {
			break // OnTrainEnd still runs
		}
		if err != nil {
			return hist, err
		}
		hist.Epochs = append(hist.Epochs, *stats)
		// Every callback sees the epoch end, even after one asked to stop.
		stop := false
		err = run.each(func(c Callback) error {
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
	return hist, stopErr(run.each(func(c Callback) error { return c.OnTrainEnd(run) }))
}

func stopErr(err error) error {
	if errors.Is(err, ErrStopTraining) {
		return nil
	}
	return err
}

func (t *Trainer) fitEpoch(ctx context.Context, run *Run, train loader.Dataset, conf *metrics.Confusion) (*EpochStats, error) {
	epoch := t.Epoch + 1
	if err := run.each(func(c Callback) error { return c.OnEpochBegin(run, epoch) }); err != nil {
		return nil, err
	}
	batches, err := loader.Epoch(train.Len(), run.Options.BatchSize, t.rng)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	var mean metrics.Mean
	if conf != nil {
		conf.Reset()
	}
	run.Batches = len(batches)
	for i, b := range batches {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := run.each(func(c Callback) error { return c.OnBatchBegin(run, i+1) }); err != nil {
			return nil, err
		}
		loss, err := t.trainStep(train, b, run.Options, conf)
		if err != nil {
			return nil, err
		}
		mean.Add(loss, len(b))
		bs := BatchStats{Epoch: epoch, Batch: i + 1, Batches: len(batches), Size: len(b), Loss: loss, MeanLoss: mean.Value(), Step: t.Step}
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return nil, &NonFiniteLossError{Epoch: epoch, Batch: i + 1, Step: t.Step + 1, Loss: loss}
		}
		if limit := run.Options.lossLimit(t.Loss); loss > limit {
			return nil, &LossLimitError{Epoch: epoch, Batch: i + 1, Step: t.Step + 1, Loss: loss, Limit: limit}
		}
		if err := run.each(func(c Callback) error { return c.OnBatchEnd(run, bs) }); err != nil {
			return nil, err
		}
	}
	secs := time.Since(start).Seconds()
	t.Epoch = epoch
	stats := &EpochStats{
		Epoch: epoch, TrainLoss: mean.Value(), LearningRate: t.Optimizer.LearningRate(),
		Steps: t.Step, Seconds: secs, SamplesPerSec: float64(train.Len()) / secs,
	}
	if conf != nil {
		stats.TrainAccuracy = conf.Accuracy()
	}
	if run.Options.Validation != nil {
		ev, err := t.Evaluate(ctx, run.Options.Validation, run.Options.EvalBatchSize)
		if err != nil {
			return nil, err
		}
		stats.ValLoss, stats.ValAccuracy, stats.ValSamples, stats.Validation = ev.Loss, ev.Accuracy, ev.Samples, ev
	}
	return stats, nil
}

// NonFiniteLossError reports a loss that became NaN or infinite. The step
// that produced it was not applied.
type NonFiniteLossError struct {
	Epoch, Batch int
	Step         int64
	Loss         float64
}

func (e *NonFiniteLossError) Error() string {
	return fmt.Sprintf("recipes: loss is %v at epoch %d, batch %d (step %d); the update was not applied", e.Loss, e.Epoch, e.Batch, e.Step)
}

// LossLimitError reports a finite loss above FitOptions.MaxLoss: training
// diverged. The step that produced it was not applied.
type LossLimitError struct {
	Epoch, Batch int
	Step         int64
	Loss, Limit  float64
}

func (e *LossLimitError) Error() string {
	return fmt.Sprintf("recipes: training diverged: loss is %.4g at epoch %d, batch %d (step %d), above the limit %g; the update was not applied (lower the learning rate)",
		e.Loss, e.Epoch, e.Batch, e.Step, e.Limit)
}
