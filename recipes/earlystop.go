package recipes

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/gozoo/gozoo/nn"
)

// EarlyStopping ends training when a monitored metric stops improving, like
// Keras's EarlyStopping.
//
// An epoch improves when its value beats the best so far by more than
// MinDelta (falls, for a loss; rises, for an accuracy); a NaN or infinite
// value never does. After Patience epochs in a row without improvement,
// OnEpochEnd returns ErrStopTraining, and Fit ends after that epoch's
// callbacks.
//
// With RestoreBest it keeps a copy of every model parameter, non-trainable
// ones such as BatchNorm's running averages included, as of the best epoch,
// and copies it back into the model at OnTrainEnd, which Fit runs both when
// a callback stopped training and after its last epoch. It restores there
// rather than the moment it stops so that a ModelCheckpoint running in the
// same epoch saves the weights its optimizer state belongs to.
//
// It is Stateful: the best value and epoch and the count of epochs without
// improvement are saved in checkpoints. The copy of the best parameters is
// not, so after a resume there is nothing to restore until an epoch of the
// resumed run improves (RestoredEpoch says what was restored); for the best
// weights across a resume, add a ModelCheckpoint with SaveBest and load its
// best file. A Fit that starts from epoch 0 resets the state; one that
// continues a trainer carries on from it.
type EarlyStopping struct {
	BaseCallback
	// Monitor is the metric watched; default ValLoss.
	Monitor Metric
	// Patience is the number of epochs without improvement after which
	// training stops. 0 acts as 1: stop at the first epoch that does not
	// improve, as Keras does by default.
	Patience int
	// MinDelta is the least change that counts as an improvement; default 0.
	MinDelta float64
	// RestoreBest puts the best epoch's parameters back when training ends.
	RestoreBest bool

	// StoppedEpoch is the epoch after which it stopped training, 0 if it
	// did not. RestoredEpoch is the epoch whose parameters RestoreBest put
	// back, 0 if none.
	StoppedEpoch, RestoredEpoch int

	state earlyStoppingState
	// saved holds the parameters as of savedEpoch.
	saved      [][]float32
	savedEpoch int
}

type earlyStoppingState struct {
	best
	Wait int `json:"wait"`
}

// Validate checks the settings.
func (e *EarlyStopping) Validate() error {
	if err := e.Monitor.validate("early stopping"); err != nil {
		return err
	}
	if e.Patience < 0 {
		return fmt.Errorf("recipes: early stopping patience %d is negative", e.Patience)
	}
	if !(e.MinDelta >= 0) || math.IsInf(e.MinDelta, 1) {
		return fmt.Errorf("recipes: early stopping min delta %v must be finite and not negative", e.MinDelta)
	}
	return nil
}

// Best returns the best epoch and its value, and false before the first
// finite value.
func (e *EarlyStopping) Best() (epoch int, value float64, ok bool) {
	return e.state.Epoch, e.state.Value, e.state.Has
}

func (e *EarlyStopping) OnTrainBegin(r *Run) error {
	if err := e.Validate(); err != nil {
		return err
	}
	if err := e.Monitor.checkRun(r, "early stopping"); err != nil {
		return err
	}
	e.StoppedEpoch, e.RestoredEpoch = 0, 0
	if !continuing(r) {
		e.state, e.savedEpoch = earlyStoppingState{}, 0
	}
	return nil
}

func (e *EarlyStopping) OnEpochEnd(r *Run, s *EpochStats) error {
	v, err := e.Monitor.observe(s, "early stopping")
	if err != nil {
		return err
	}
	if e.state.update(e.Monitor, v, e.MinDelta, s.Epoch) {
		e.state.Wait = 0
		if e.RestoreBest {
			e.saved = copyParams(e.saved, r.Trainer.Model.Params())
			e.savedEpoch = s.Epoch
		}
		return nil
	}
	e.state.Wait++
	if e.state.Wait >= max(e.Patience, 1) {
		e.StoppedEpoch = s.Epoch
		return ErrStopTraining
	}
	return nil
}

func (e *EarlyStopping) OnTrainEnd(r *Run) error {
	if !e.RestoreBest || e.savedEpoch == 0 || e.savedEpoch != e.state.Epoch {
		return nil
	}
	params := r.Trainer.Model.Params()
	if len(params) != len(e.saved) {
		return fmt.Errorf("recipes: early stopping saved %d parameters, the model has %d", len(e.saved), len(params))
	}
	for i, p := range params {
		if len(p.Data()) != len(e.saved[i]) {
			return fmt.Errorf("recipes: early stopping saved %d values of %s, it has %d", len(e.saved[i]), p.Name, len(p.Data()))
		}
	}
	for i, p := range params {
		copy(p.Data(), e.saved[i])
	}
	e.RestoredEpoch = e.savedEpoch
	return nil
}

// copyParams copies every parameter's values into dst, reusing its buffers.
func copyParams(dst [][]float32, params []*nn.Param) [][]float32 {
	if len(dst) != len(params) {
		dst = make([][]float32, len(params))
	}
	for i, p := range params {
		dst[i] = append(dst[i][:0], p.Data()...)
	}
	return dst
}

// StateKey is "early_stopping": a checkpoint holds one EarlyStopping.
func (e *EarlyStopping) StateKey() string { return "early_stopping" }

func (e *EarlyStopping) MarshalState() ([]byte, error) { return json.Marshal(e.state) }

// UnmarshalState restores the state; the copy of the best parameters, which
// checkpoints do not hold, is dropped.
func (e *EarlyStopping) UnmarshalState(data []byte) error {
	var s earlyStoppingState
	if err := decodeState("early stopping", data, &s, &s.best); err != nil {
		return err
	}
	if s.Wait < 0 {
		return fmt.Errorf("recipes: early stopping state has wait %d", s.Wait)
	}
	e.state, e.savedEpoch = s, 0
	return nil
}
