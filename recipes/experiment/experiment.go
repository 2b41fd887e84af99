package experiment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/gozoo/gozoo/io/augment"
	"github.com/gozoo/gozoo/io/loader"
	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/optim"
	"github.com/gozoo/gozoo/recipes"
	"github.com/gozoo/gozoo/zoo"
)

// File names inside an Out folder.
const (
	ModelFile       = "model.safetensors"
	CheckpointFile  = "checkpoint.safetensors"
	InterruptedFile = "interrupted.safetensors"
	HistoryJSONFile = "history.json"
	HistoryCSVFile  = "history.csv"
	// DefaultInterruptedFile is where an interrupted run without Out saves
	// its checkpoint, in the working folder.
	DefaultInterruptedFile = "gozoo-interrupted.safetensors"
)

// KeyTrainOptions holds, in checkpoints, the settings a resumed run reuses
// to continue the same run: batch size, clipping, schedule, early stopping,
// augmentation.
const KeyTrainOptions = "train_options"

// trainOptions is the JSON under KeyTrainOptions.
type trainOptions struct {
	Batch    int     `json:"batch"`
	ClipNorm float64 `json:"clip_norm,omitempty"`
	Schedule
	EarlyStop int               `json:"early_stop,omitempty"`
	Monitor   string            `json:"monitor,omitempty"`
	Augment   *zoo.Augmentation `json:"augment,omitempty"`
}

// Experiment is a training run ready to Fit: trainer, card and data.
type Experiment struct {
	Settings Settings
	Trainer  *recipes.Trainer
	Card     *modelcard.Card
	Data     *modelcard.Data

	// ResumedFrom is the checkpoint a resumed run continues, and Skipped
	// the newer ones Resume passed over because they did not load.
	ResumedFrom string
	Skipped     []SkippedCheckpoint

	ck *recipes.Checkpoint
}

// New builds the run the settings describe: the card and data, the model
// with weights drawn from Seed, the optimizer and the trainer.
func New(s Settings) (*Experiment, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(s.Seed, 0))
	var card *modelcard.Card
	var model zoo.Model
	var err error
	if s.Table != nil {
		src := *s.Table
		src.Seed = s.Seed
		if card, err = modelcard.Table(src); err != nil {
			return nil, err
		}
		hidden := s.Hidden
		if hidden == nil {
			hidden = zoo.TabularHidden(card.Task)
		}
		if model, err = zoo.TableModel(card, hidden, rng); err != nil {
			return nil, err
		}
	} else {
		p, err := zoo.PresetNamed(s.Model)
		if err != nil {
			return nil, err
		}
		if p, err = p.ForDataset(s.Dataset); err != nil {
			return nil, err
		}
		if model, err = p.Build(rng); err != nil {
			return nil, err
		}
		if card, err = p.Card(s.DataDir); err != nil {
			return nil, err
		}
	}
	data, err := card.Data(s.DataDir)
	if err != nil {
		return nil, err
	}
	opt, err := optim.New(s.Optimizer, optim.Common{LearningRate: s.LearningRate, WeightDecay: s.WeightDecay})
	if err != nil {
		return nil, err
	}
	tr, err := recipes.NewTrainer(model, recipes.LossFor(card), opt, s.Seed)
	if err != nil {
		return nil, err
	}
	tr.Card = card
	e := &Experiment{Settings: s, Trainer: tr, Card: card, Data: data}
	if err := e.augment(); err != nil {
		return nil, err
	}
	return e, nil
}

// Resume continues the run saved in a checkpoint (a file, or an Out folder)
// up to epochs in total, writing into the checkpoint's folder: the run it
// continues. For a folder it takes the most advanced checkpoint there
// (checkpoint.safetensors, the older ones kept beside it, or
// interrupted.safetensors). If that one does not load (a wrong checksum, a
// damaged file), it falls back to the next, newest first, and lists the ones
// it passed over in Skipped; a file given by name falls back to its kept
// copies the same way. change, if not nil, may alter the settings a
// checkpoint does not fix (BatchSize, ClipNorm, Schedule, EarlyStop,
// Monitor, DataDir, Out, KeepCheckpoints); changing any other is an error.
func Resume(path string, epochs int, change func(*Settings)) (*Experiment, error) {
	st, err := os.Stat(path)
	dir := err == nil && st.IsDir()
	ck, used, skipped, err := loadNewest(resumeCandidates(path, dir))
	if err != nil {
		return nil, err
	}
	path = used
	if ck.Card == nil {
		return nil, fmt.Errorf("%s: checkpoint has no model card, so its data is unknown", path)
	}
	s, err := savedSettings(ck)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s.Epochs, s.Out = epochs, filepath.Dir(path)
	fixed := s
	if change != nil {
		change(&s)
	}
	if err := sameFixed(fixed, s); err != nil {
		return nil, err
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if ck.Epoch >= s.Epochs {
		return nil, fmt.Errorf("%s has already trained %d epochs; ask for more epochs", path, ck.Epoch)
	}
	if ck.Batches > 0 && s.BatchSize != fixed.BatchSize {
		return nil, &SettingError{Setting: "batch", Problem: fmt.Sprintf("cannot be changed on resume from %s: it stopped in the middle of epoch %d, whose batches are fixed", path, ck.Epoch+1)}
	}
	data, err := ck.Card.Data(s.DataDir)
	if err != nil {
		return nil, err
	}
	tr, err := ck.Trainer(recipes.LossFor(ck.Card))
	if err != nil {
		return nil, err
	}
	e := &Experiment{Settings: s, Trainer: tr, Card: ck.Card, Data: data, ck: ck, ResumedFrom: path, Skipped: skipped}
	if err := e.augment(); err != nil {
		return nil, err
	}
	return e, nil
}

// savedSettings rebuilds the settings of a checkpointed run.
func savedSettings(ck *recipes.Checkpoint) (Settings, error) {
	s := Settings{Optimizer: ck.Optimizer.State().Kind, Monitor: recipes.ValLoss}
	if ck.Card.Dataset != modelcard.CSVDataset {
		s.Dataset = ck.Card.Dataset
	}
	if lr, err := optim.BaseLearningRate(ck.Optimizer); err == nil {
		s.LearningRate = lr
	}
	raw, ok := ck.File.Metadata[KeyTrainOptions]
	if !ok {
		return s, fmt.Errorf("checkpoint has no %q metadata", KeyTrainOptions)
	}
	var o trainOptions
	if err := json.Unmarshal([]byte(raw), &o); err != nil {
		return s, fmt.Errorf("%q metadata: %w", KeyTrainOptions, err)
	}
	s.BatchSize, s.ClipNorm, s.Schedule, s.EarlyStop, s.Augment = o.Batch, o.ClipNorm, o.Schedule, o.EarlyStop, o.Augment
	if o.Monitor != "" {
		m, err := recipes.ParseMetric(o.Monitor)
		if err != nil {
			return s, fmt.Errorf("saved training options: %w", err)
		}
		s.Monitor = m
	}
	if o.Augment == nil && ck.Card.Dataset == modelcard.CIFAR10Dataset {
		// Checkpoints from before augmentation was saved: CIFAR-10 runs
		// always augmented.
		s.Augment = &zoo.Augmentation{CropPadding: 4, FlipP: 0.5}
	}
	return s, nil
}

// sameFixed reports the first setting a resume may not change.
func sameFixed(saved, s Settings) error {
	for _, c := range []struct {
		name    string
		changed bool
	}{
		{"model", s.Model != saved.Model || s.Table != saved.Table || fmt.Sprint(s.Hidden) != fmt.Sprint(saved.Hidden)},
		{"optimizer", s.Optimizer != saved.Optimizer},
		{"lr", s.LearningRate != saved.LearningRate},
		{"weight-decay", s.WeightDecay != saved.WeightDecay},
		{"seed", s.Seed != saved.Seed},
		{"dataset", s.Dataset != saved.Dataset},
		{"augment", fmt.Sprint(s.Augment) != fmt.Sprint(saved.Augment)},
	} {
		if c.changed {
			return &SettingError{Setting: c.name, Problem: "cannot be changed on resume: the checkpoint fixes it"}
		}
	}
	return nil
}

func (e *Experiment) options() string {
	s := e.Settings
	data, _ := json.Marshal(trainOptions{Batch: s.BatchSize, ClipNorm: s.ClipNorm, Schedule: s.Schedule,
		EarlyStop: s.EarlyStop, Monitor: s.Monitor.String(), Augment: s.Augment}) // plain fields: cannot fail
	return string(data)
}

// augment wraps the training images in the settings' crops and flips,
// drawn from the trainer's seeded source, so augmented runs stay
// reproducible and resume exactly.
func (e *Experiment) augment() error {
	a := e.Settings.Augment
	if a == nil {
		return nil
	}
	c, ok := e.Data.Train.(loader.Classified)
	if !ok {
		return fmt.Errorf("experiment: augmentation needs labelled images")
	}
	var steps []augment.Step
	if a.CropPadding > 0 {
		steps = append(steps, augment.RandomCrop{Padding: a.CropPadding})
	}
	if a.FlipP > 0 {
		steps = append(steps, augment.HorizontalFlip{P: a.FlipP})
	}
	aug, err := augment.Wrap(c, e.Trainer.Rand(), steps...)
	if err != nil {
		return err
	}
	e.Data.Train = aug
	return nil
}

// Close releases the trainer's compiled programs.
func (e *Experiment) Close() error { return e.Trainer.Close() }

// FitOptions are what Fit reports as it goes. The zero value reports
// nothing.
type FitOptions struct {
	// Progress, if set, receives a progress bar (Terminal) or one line per
	// epoch.
	Progress io.Writer
	Terminal bool
	// OnEpoch, if set, is called after each epoch with its figures,
	// test-set results included.
	OnEpoch func(EpochReport) error
	// Callbacks run after the experiment's own (schedule, early stopping,
	// history) and before the checkpoint, which must be last.
	Callbacks []recipes.Callback
}

// EpochReport is one epoch's figures, as gozoo train -json prints them.
type EpochReport struct {
	Epoch         int     `json:"epoch"`
	TrainLoss     float64 `json:"train_loss"`
	TrainAccuracy float64 `json:"train_accuracy"`
	ValLoss       float64 `json:"val_loss,omitempty"`
	ValAccuracy   float64 `json:"val_accuracy,omitempty"`
	TestFigures
	LearningRate  float64 `json:"learning_rate"`
	Seconds       float64 `json:"seconds"`
	SamplesPerSec float64 `json:"samples_per_sec"`
}

// Result is what a finished Fit gives.
type Result struct {
	History *recipes.History
	// Test holds the test-set figures of the final weights (after early
	// stopping restored the best ones).
	Test TestFigures
	// ModelPath is the model file written to Out, or "".
	ModelPath string
}

// InterruptedError is returned by Fit when its context is cancelled (or
// its deadline passes). The run continues with Resume(Path, ...) unless
// Path is "" (a new run stopped before its first step: there is nothing to
// continue). Written says whether this interrupt wrote Path: it does not
// when no step was trained since Fit began (Path is then the checkpoint the
// run resumed, unchanged), or when the file at Path holds a more advanced
// checkpoint, which it never overwrites (SaveErr says so). SaveErr is also
// set when the save failed.
type InterruptedError struct {
	// Epoch and Step are the completed epochs and the optimizer steps;
	// Batch and Batches the batches trained of epoch Epoch+1 (0 and 0 at an
	// epoch boundary).
	Epoch          int
	Step           int64
	Batch, Batches int
	Path           string
	Written        bool
	SaveErr        error
}

func (e *InterruptedError) Error() string {
	switch {
	case e.SaveErr != nil:
		return fmt.Sprintf("experiment: interrupted; saving a checkpoint failed: %v", e.SaveErr)
	case e.Path == "":
		return "experiment: interrupted before the first step; nothing to save"
	case !e.Written:
		return fmt.Sprintf("experiment: interrupted before any new step; %s is unchanged", e.Path)
	}
	return fmt.Sprintf("experiment: interrupted %s; checkpoint written to %s", e.Where(), e.Path)
}

// Where describes how far the run got: "after 2 complete epochs (step
// 1876)", or "after 2 complete epochs and 300 of 938 batches (step 2176)".
func (e *InterruptedError) Where() string {
	if e.Batches > 0 && e.Batch > 0 {
		return fmt.Sprintf("after %d complete epochs and %d of %d batches (step %d)", e.Epoch, e.Batch, e.Batches, e.Step)
	}
	return fmt.Sprintf("after %d complete epochs (step %d)", e.Epoch, e.Step)
}

// NotOverwrittenError is an InterruptedError's SaveErr when the interrupt
// file already holds a checkpoint more advanced than the run.
type NotOverwrittenError struct {
	Path            string
	Epoch, OurEpoch int
	Step, OurStep   int64
}

func (e *NotOverwrittenError) Error() string {
	return fmt.Sprintf("%s holds a more advanced checkpoint (epoch %d, step %d) than this run (epoch %d, step %d) and was not overwritten",
		e.Path, e.Epoch, e.Step, e.OurEpoch, e.OurStep)
}

// Fit trains up to Settings.Epochs, checkpointing into Out after every
// epoch, then writes the final model with its card to Out/model.safetensors.
// Before training it checks Out: a new run refuses a folder that holds a
// run (*RunExistsError, unless Settings.Overwrite), and the folder must
// take a file. Cancelling ctx saves the state, to the step, and returns an
// *InterruptedError; Resume continues it exactly where it stopped.
func (e *Experiment) Fit(ctx context.Context, o FitOptions) (*Result, error) {
	s := e.Settings
	opts := recipes.FitOptions{Epochs: s.Epochs, BatchSize: s.BatchSize, Validation: e.Data.Validation(), ClipNorm: s.ClipNorm}
	if o.Progress != nil {
		opts.Callbacks = append(opts.Callbacks, &recipes.Progress{W: o.Progress, Terminal: o.Terminal})
	}
	lr := e.Trainer.Optimizer.LearningRate()
	if e.ck != nil {
		// A resumed schedule starts from the run's base rate, kept in the
		// optimizer settings, not from the rate the schedule had reached.
		if base, err := optim.BaseLearningRate(e.Trainer.Optimizer); err == nil && base > 0 {
			lr = base
		}
	}
	steps := (e.Data.Train.Len() + s.BatchSize - 1) / s.BatchSize
	own, err := e.callbacks(lr, steps)
	if err != nil {
		return nil, err
	}
	opts.Callbacks = append(opts.Callbacks, own...)
	if o.OnEpoch != nil {
		opts.Callbacks = append(opts.Callbacks, &epochReporter{e: e, report: o.OnEpoch})
	}
	opts.Callbacks = append(opts.Callbacks, o.Callbacks...)
	extra := map[string]string{KeyTrainOptions: e.options()}
	if err := e.prepareOut(); err != nil {
		return nil, err
	}
	if s.Out != "" {
		keep := s.KeepCheckpoints
		if keep == 0 {
			keep = DefaultKeepCheckpoints
		}
		// Last in the list, so the checkpoint holds every stateful
		// callback's state for the same epoch.
		path := filepath.Join(s.Out, CheckpointFile)
		opts.Callbacks = append(opts.Callbacks, &recipes.ModelCheckpoint{
			Path: func(string, int) string { return path }, SaveLast: true, Keep: keep, Extra: extra})
	}
	if e.ck != nil {
		if err := e.ck.RestoreCallbacks(opts.Callbacks); err != nil {
			return nil, err
		}
	}
	startStep := e.Trainer.Step
	hist, err := e.Trainer.Fit(ctx, e.Data.Train, opts)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil, e.interrupted(opts.Callbacks, extra, startStep)
	}
	if err != nil {
		return nil, err
	}
	res := &Result{History: hist}
	if s.Out != "" {
		res.ModelPath = filepath.Join(s.Out, ModelFile)
		if err := zoo.Save(res.ModelPath, e.Trainer.Model.(zoo.Model), e.Card); err != nil {
			return nil, err
		}
	}
	// Evaluated after Fit, so after early stopping restored the best
	// weights: the figures of the model that was saved.
	var last *recipes.EpochStats
	if st, ok := hist.Last(); ok && e.Trainer.Epoch == st.Epoch && !restoredEarlier(opts.Callbacks) {
		last = &st
	}
	if res.Test, err = e.TestFigures(last); err != nil {
		return nil, err
	}
	return res, nil
}

// interrupted saves the current state after a cancel, under the rules of
// InterruptedError.
func (e *Experiment) interrupted(callbacks []recipes.Callback, extra map[string]string, startStep int64) error {
	path := DefaultInterruptedFile
	if e.Settings.Out != "" {
		path = filepath.Join(e.Settings.Out, InterruptedFile)
	}
	tr := e.Trainer
	ie := &InterruptedError{Epoch: tr.Epoch, Step: tr.Step, Path: path}
	ie.Batch, ie.Batches = tr.InEpoch()
	if tr.Step == startStep {
		// Nothing trained since Fit began: the state is the one it started
		// from, already on disk if this run resumed.
		ie.Path, ie.Batch, ie.Batches = e.ResumedFrom, 0, 0
		if e.ck != nil {
			ie.Epoch, ie.Step, ie.Batch, ie.Batches = e.ck.Epoch, e.ck.Step, e.ck.Batch, e.ck.Batches
		}
		return ie
	}
	ours := progress{tr.Epoch, tr.Step}
	if old, err := checkpointProgress(path); err == nil && old.after(ours) {
		ie.SaveErr = &NotOverwrittenError{Path: path, Epoch: old.epoch, Step: old.step, OurEpoch: ours.epoch, OurStep: ours.step}
		return ie
	}
	if ie.SaveErr = tr.SaveCheckpoint(path, callbacks, extra); ie.SaveErr == nil {
		ie.Written = true
	}
	return ie
}

// restoredEarlier reports whether early stopping put back an earlier epoch's
// weights, so the last epoch's validation figures no longer describe them.
func restoredEarlier(callbacks []recipes.Callback) bool {
	for _, c := range callbacks {
		if e, ok := c.(*recipes.EarlyStopping); ok && e.RestoredEpoch != 0 {
			return true
		}
	}
	return false
}

// epochReporter turns each epoch into an EpochReport.
type epochReporter struct {
	recipes.BaseCallback
	e      *Experiment
	report func(EpochReport) error
}

func (r *epochReporter) OnEpochEnd(_ *recipes.Run, s *recipes.EpochStats) error {
	test, err := r.e.TestFigures(s)
	if err != nil {
		return err
	}
	line := EpochReport{
		Epoch: s.Epoch, TrainLoss: s.TrainLoss, TrainAccuracy: s.TrainAccuracy, TestFigures: test,
		LearningRate: s.LearningRate, Seconds: s.Seconds, SamplesPerSec: s.SamplesPerSec,
	}
	if r.e.Data.Val != nil {
		line.ValLoss, line.ValAccuracy = s.ValLoss, s.ValAccuracy
	}
	return r.report(line)
}

// TestFigures are the test-set results of a model.
type TestFigures struct {
	TestLoss     float64  `json:"test_loss"`
	TestAccuracy float64  `json:"test_accuracy"`
	TestSamples  int      `json:"test_samples"`
	TestRMSE     *float64 `json:"test_rmse,omitempty"`
	TestMAE      *float64 `json:"test_mae,omitempty"`
	TestR2       *float64 `json:"test_r2,omitempty"`
}

// TestFigures evaluates the current weights on the test set; when the test
// set is the validation set and s holds this epoch's validation, it reuses
// it.
func (e *Experiment) TestFigures(s *recipes.EpochStats) (TestFigures, error) {
	var f TestFigures
	batch := e.Settings.BatchSize
	if e.Data.Val == nil && s != nil && s.Validation != nil {
		f.TestLoss, f.TestAccuracy, f.TestSamples = s.ValLoss, s.ValAccuracy, s.ValSamples
	} else {
		ev, err := e.Trainer.Evaluate(context.Background(), e.Data.Test, batch)
		if err != nil {
			return f, err
		}
		f.TestLoss, f.TestAccuracy, f.TestSamples = ev.Loss, ev.Accuracy, ev.Samples
	}
	if e.Card.Regression() {
		reg, err := e.Trainer.RegressionMetrics(context.Background(), e.Data.Test, batch)
		if err != nil {
			return f, err
		}
		rmse, mae, r2 := reg.RMSE(), reg.MAE(), reg.R2()
		f.TestRMSE, f.TestMAE, f.TestR2 = &rmse, &mae, &r2
	}
	return f, nil
}

func (f TestFigures) String() string {
	if f.TestR2 != nil {
		return fmt.Sprintf("test RMSE %.4f, MAE %.4f, R2 %.4f over %d rows", *f.TestRMSE, *f.TestMAE, *f.TestR2, f.TestSamples)
	}
	return fmt.Sprintf("test accuracy %.4f over %d samples, test loss %.4f", f.TestAccuracy, f.TestSamples, f.TestLoss)
}
