package recipes

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"

	"github.com/gozoo/gozoo/io/loader"
	"github.com/gozoo/gozoo/metrics"
	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/nn"
	"github.com/gozoo/gozoo/optim"
)

// Trainer trains and evaluates one model with one loss and one optimizer.
// It is not safe for concurrent use: Fit, TrainOnBatch, Evaluate, Predict
// and Close called while another of them runs on another goroutine return
// ErrInUse instead of racing (a callback may still call Evaluate and
// Predict from inside Fit).
type Trainer struct {
	Model     nn.Model
	Loss      nn.Loss
	Optimizer optim.Optimizer
	// Card, if set, is the model card saved with every checkpoint (and
	// restored by LoadCheckpoint), so that a checkpoint is also a model
	// file that eval, predict and the server accept.
	Card *modelcard.Card

	// Source is the seeded generator behind every random choice the trainer
	// makes (shuffling, dropout masks). Its state is part of a checkpoint.
	Source *rand.PCG
	rng    *rand.Rand

	// Epoch and Step count completed epochs and optimizer steps.
	Epoch int
	Step  int64

	// position is the epoch in progress when Fit was cancelled mid-epoch
	// (or restored from such a checkpoint), which the next Fit continues.
	position *epochPosition
	// epochStart is the random source's state before this epoch's shuffle.
	epochStart []byte

	guard guard

	programs map[programKey]*nn.Program
	params   []optim.Param
	grads    [][]float32
	labels   []int
	preds    []int
}

type programKey struct {
	mode  nn.Mode
	batch int
	loss  bool
}

// LossFor returns the loss a card's task trains with: mean squared error
// for regression, softmax cross-entropy otherwise.
func LossFor(card *modelcard.Card) nn.Loss {
	if card != nil && card.Regression() {
		return nn.MSE{}
	}
	return nn.SoftmaxCrossEntropy{}
}

// NewTrainer returns a trainer whose random choices all come from seed.
func NewTrainer(model nn.Model, loss nn.Loss, opt optim.Optimizer, seed uint64) (*Trainer, error) {
	if isNil(model) || isNil(loss) || isNil(opt) {
		return nil, fmt.Errorf("recipes: trainer needs a model, a loss and an optimizer")
	}
	src := rand.NewPCG(seed, 0x9e3779b97f4a7c15)
	return &Trainer{Model: model, Loss: loss, Optimizer: opt, Source: src, rng: rand.New(src),
		programs: map[programKey]*nn.Program{}}, nil
}

// Rand returns the trainer's seeded generator, for data augmentation that
// must be reproducible and resume exactly: draws from it during Fit happen
// in a fixed order, and its state is saved in checkpoints.
func (t *Trainer) Rand() *rand.Rand {
	if t.rng == nil && t.Source != nil {
		t.rng = rand.New(t.Source)
	}
	return t.rng
}

// Close releases every compiled program.
func (t *Trainer) Close() error {
	leave, err := t.guard.enter(false)
	if err != nil {
		return err
	}
	defer leave()
	var first error
	for k, p := range t.programs {
		if err := p.Close(); err != nil && first == nil {
			first = err
		}
		delete(t.programs, k)
	}
	return first
}

func (t *Trainer) program(mode nn.Mode, batch int, withLoss bool) (*nn.Program, error) {
	if t.programs == nil {
		t.programs = map[programKey]*nn.Program{}
	}
	key := programKey{mode, batch, withLoss}
	if p, ok := t.programs[key]; ok {
		return p, nil
	}
	var loss nn.Loss
	if withLoss {
		loss = t.Loss
	}
	p, err := nn.Compile(t.Model, mode, batch, loss)
	if err != nil {
		return nil, err
	}
	t.programs[key] = p
	return p, nil
}

// checkData verifies that ds fits the model and the loss before any graph
// runs: Gorgonia panics on shape errors inside a run, where no recover helps.
func (t *Trainer) checkData(ds loader.Dataset, needTargets bool) error {
	if isNil(ds) || ds.Len() <= 0 {
		return fmt.Errorf("recipes: dataset is empty")
	}
	want, got := t.Model.InputShape(), ds.InputShape()
	if !slices.Equal(want, got) {
		return fmt.Errorf("recipes: model takes inputs of shape %v, dataset gives %v", want, got)
	}
	if out := t.Model.OutputShape(); len(out) != 1 || out[0] < 1 {
		return fmt.Errorf("recipes: model outputs must be vectors, got per-sample shape %v", out)
	}
	if !needTargets {
		return nil
	}
	outputs := t.Model.OutputShape()[0]
	if t.Loss.Classification() {
		c, ok := ds.(loader.Classified)
		if !ok {
			return fmt.Errorf("recipes: loss %s needs a labelled dataset", t.Loss.Name())
		}
		if c.Classes() != outputs {
			return fmt.Errorf("recipes: dataset has %d classes, model has %d outputs", c.Classes(), outputs)
		}
		return nil
	}
	r, ok := ds.(loader.Regression)
	if !ok {
		return fmt.Errorf("recipes: loss %s needs a dataset with real-valued targets", t.Loss.Name())
	}
	if want := nn.TargetWidth(t.Loss, outputs); r.TargetSize() != want {
		if want != outputs {
			return fmt.Errorf("recipes: loss %s wants targets of %d values for %d outputs, the dataset has %d", t.Loss.Name(), want, outputs, r.TargetSize())
		}
		return fmt.Errorf("recipes: dataset targets have %d values, model has %d outputs", r.TargetSize(), outputs)
	}
	return nil
}

// fill writes a batch's inputs and, when the program has a loss, its targets.
func (t *Trainer) fill(p *nn.Program, ds loader.Dataset, batch []int) error {
	if err := loader.FillInputs(ds, batch, p.Input()); err != nil {
		return err
	}
	y := p.Target()
	if y == nil {
		return nil
	}
	if t.Loss.Classification() {
		return loader.FillOneHot(ds.(loader.Classified), batch, y)
	}
	return loader.FillTargets(ds.(loader.Regression), batch, y)
}

// countCorrect adds the batch's correct argmax predictions to conf.
func (t *Trainer) countCorrect(p *nn.Program, ds loader.Dataset, batch []int, conf *metrics.Confusion) error {
	c, ok := ds.(loader.Classified)
	if !ok || !t.Loss.Classification() {
		return nil
	}
	t.labels = growInts(t.labels, len(batch))
	if err := loader.FillLabels(c, batch, t.labels); err != nil {
		return err
	}
	t.preds = metrics.Argmax(p.Outputs(), p.OutputSize(), t.preds)
	return conf.Update(t.preds, t.labels)
}

// correctCount returns the number of the batch's argmax predictions that
// match their labels.
func (t *Trainer) correctCount(p *nn.Program, ds loader.Dataset, batch []int) (int, error) {
	c, ok := ds.(loader.Classified)
	if !ok {
		return 0, nil
	}
	t.labels = growInts(t.labels, len(batch))
	if err := loader.FillLabels(c, batch, t.labels); err != nil {
		return 0, err
	}
	t.preds = metrics.Argmax(p.Outputs(), p.OutputSize(), t.preds)
	n := 0
	for i, l := range t.labels {
		if t.preds[i] == l {
			n++
		}
	}
	return n, nil
}

func growInts(s []int, n int) []int {
	if cap(s) < n {
		return make([]int, n)
	}
	return s[:n]
}

// trainStep runs one optimizer step on a batch and returns its mean loss
// and, for classification, the number of correct argmax predictions.
func (t *Trainer) trainStep(ds loader.Dataset, batch []int, opts *FitOptions, classify bool) (loss float64, correct int, err error) {
	p, err := t.program(nn.Training, len(batch), true)
	if err != nil {
		return 0, 0, err
	}
	if err := t.fill(p, ds, batch); err != nil {
		return 0, 0, err
	}
	if err := p.Run(t.rng); err != nil {
		return 0, 0, err
	}
	loss = p.Loss()
	if classify {
		if correct, err = t.correctCount(p, ds, batch); err != nil {
			return 0, 0, err
		}
	}
	if math.IsNaN(loss) || math.IsInf(loss, 0) || loss > opts.lossLimit(t.Loss) {
		// Never apply an update computed from a non-finite or diverged loss.
		return loss, correct, nil
	}
	if t.grads, err = p.Grads(t.grads); err != nil {
		return 0, 0, err
	}
	params := p.Params()
	if len(t.params) != len(params) {
		t.params = make([]optim.Param, len(params))
	}
	for i, prm := range params {
		t.params[i] = optim.Param{Name: prm.Name, Shape: prm.Value.Shape(), Value: prm.Data(), Grad: t.grads[i], Mask: prm.Mask}
		if prm.Mask != nil {
			// A pruned weight has no gradient, as with PyTorch's
			// weight_orig * mask: clipping and moments ignore it.
			for j, keep := range prm.Mask {
				if !keep {
					t.grads[i][j] = 0
				}
			}
		}
	}
	if opts.ClipNorm > 0 {
		optim.ClipGlobalNorm(t.params, opts.ClipNorm)
	}
	if opts.ClipValue > 0 {
		optim.ClipValue(t.params, opts.ClipValue)
	}
	if err := t.Optimizer.Step(t.params); err != nil {
		return 0, 0, err
	}
	t.Step++
	return loss, correct, nil
}

// TrainOnBatch runs one optimizer step on the samples of ds at indices and
// returns the batch's mean loss: Keras' train_on_batch. The step is one of
// Fit's (same program, dropout masks from the trainer's source, Step
// counted) with FitOptions' defaults: no clipping and, for a
// classification loss, DefaultMaxClassificationLoss. A NaN, infinite or
// diverged loss is returned with a *NonFiniteLossError or *LossLimitError
// (Batch 0), and the step is not applied. It does not shuffle, count
// epochs or run callbacks; Epoch is unchanged. Each batch size compiles a
// program once, so a loop of steps keeps one size. It returns ErrInUse
// while another call runs on the trainer (a callback inside Fit gets it
// too: Fit owns the steps then).
func (t *Trainer) TrainOnBatch(ds loader.Dataset, indices []int) (loss float64, err error) {
	if err := t.ready(true); err != nil {
		return 0, err
	}
	leave, err := t.guard.enter(false)
	if err != nil {
		return 0, err
	}
	defer leave()
	if len(indices) == 0 || len(indices) > maxBatchSize {
		return 0, fmt.Errorf("recipes: a batch holds 1..%d samples, got %d", maxBatchSize, len(indices))
	}
	if err := t.checkData(ds, true); err != nil {
		return 0, err
	}
	opts := &FitOptions{}
	if loss, _, err = t.trainStep(ds, indices, opts, false); err != nil {
		return 0, err
	}
	return loss, t.checkLoss(loss, opts, t.Epoch+1, 0)
}

// isNil reports whether v is nil or a nil pointer in an interface.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// forwardOnly returns a trainer with no optimizer, for Evaluate and Predict,
// which only run forward programs.
func forwardOnly(model nn.Model, loss nn.Loss) (*Trainer, error) {
	if isNil(model) || isNil(loss) {
		return nil, fmt.Errorf("recipes: evaluation needs a model and a loss")
	}
	return &Trainer{Model: model, Loss: loss, programs: map[programKey]*nn.Program{}}, nil
}

// Evaluate computes the mean loss (and, for classification, the accuracy and
// confusion matrix) of model over every sample of ds, with no trainer and
// no optimizer: model.evaluate in Keras. It is Trainer.Evaluate for a model
// on its own.
func Evaluate(ctx context.Context, model nn.Model, loss nn.Loss, ds loader.Dataset, batchSize int) (*Evaluation, error) {
	t, err := forwardOnly(model, loss)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	return t.Evaluate(ctx, ds, batchSize)
}

// Predict returns model's outputs for every sample of ds, row-major
// [ds.Len(), outputs], with no trainer: Trainer.Predict for a model on its
// own. For inference on raw images or many goroutines use package predict.
func Predict(ctx context.Context, model nn.Model, ds loader.Dataset, batchSize int) ([]float32, error) {
	t, err := forwardOnly(model, nn.MSE{})
	if err != nil {
		return nil, err
	}
	defer t.Close()
	return t.Predict(ctx, ds, batchSize)
}

// Evaluation is the result of Evaluate.
type Evaluation struct {
	Loss     float64 `json:"loss"`
	Accuracy float64 `json:"accuracy,omitempty"`
	Samples  int     `json:"samples"`
	// Confusion holds the confusion matrix of a classification model.
	Confusion *metrics.Confusion `json:"-"`
}

// Evaluate computes the mean loss (and, for classification, the accuracy and
// confusion matrix) over every sample of ds, last partial batch included. It
// runs forward-only programs: parameters, gradients, optimizer state and the
// random source are left exactly as they were. A callback may call it from
// inside Fit; another goroutine gets ErrInUse while Fit runs.
func (t *Trainer) Evaluate(ctx context.Context, ds loader.Dataset, batchSize int) (*Evaluation, error) {
	if err := t.ready(false); err != nil {
		return nil, err
	}
	if ctx == nil {
		return nil, fmt.Errorf("recipes: Evaluate needs a context")
	}
	leave, err := t.guard.enter(true)
	if err != nil {
		return nil, err
	}
	defer leave()
	return t.evaluate(ctx, ds, batchSize)
}

func (t *Trainer) evaluate(ctx context.Context, ds loader.Dataset, batchSize int) (*Evaluation, error) {
	if batchSize <= 0 || batchSize > maxBatchSize {
		return nil, fmt.Errorf("recipes: batch size must be in 1..%d, got %d", maxBatchSize, batchSize)
	}
	if err := t.checkData(ds, true); err != nil {
		return nil, err
	}
	batches, err := loader.Epoch(ds.Len(), batchSize, nil)
	if err != nil {
		return nil, err
	}
	var conf *metrics.Confusion
	if t.Loss.Classification() {
		if conf, err = metrics.NewConfusion(t.Model.OutputShape()[0]); err != nil {
			return nil, err
		}
	}
	var mean metrics.Mean
	for _, b := range batches {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p, err := t.program(nn.Evaluation, len(b), true)
		if err != nil {
			return nil, err
		}
		if err := t.fill(p, ds, b); err != nil {
			return nil, err
		}
		if err := p.Run(nil); err != nil {
			return nil, err
		}
		mean.Add(p.Loss(), len(b))
		if conf != nil {
			if err := t.countCorrect(p, ds, b, conf); err != nil {
				return nil, err
			}
		}
	}
	ev := &Evaluation{Loss: mean.Value(), Samples: ds.Len(), Confusion: conf}
	if conf != nil {
		ev.Accuracy = conf.Accuracy()
	}
	return ev, nil
}

// Predict returns the model's outputs for every sample of ds, row-major
// [ds.Len(), outputs] (logits for a classifier). Like Evaluate, a callback
// may call it from inside Fit.
func (t *Trainer) Predict(ctx context.Context, ds loader.Dataset, batchSize int) ([]float32, error) {
	if err := t.ready(false); err != nil {
		return nil, err
	}
	if ctx == nil {
		return nil, fmt.Errorf("recipes: Predict needs a context")
	}
	leave, err := t.guard.enter(true)
	if err != nil {
		return nil, err
	}
	defer leave()
	if batchSize <= 0 || batchSize > maxBatchSize {
		return nil, fmt.Errorf("recipes: batch size must be in 1..%d, got %d", maxBatchSize, batchSize)
	}
	if err := t.checkData(ds, false); err != nil {
		return nil, err
	}
	batches, err := loader.Epoch(ds.Len(), batchSize, nil)
	if err != nil {
		return nil, err
	}
	out := make([]float32, 0, ds.Len()*t.Model.OutputShape()[0])
	for _, b := range batches {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p, err := t.program(nn.Evaluation, len(b), false)
		if err != nil {
			return nil, err
		}
		if err := loader.FillInputs(ds, b, p.Input()); err != nil {
			return nil, err
		}
		if err := p.Run(nil); err != nil {
			return nil, err
		}
		out = append(out, p.Outputs()...)
	}
	return out, nil
}
