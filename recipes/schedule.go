package recipes

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/gozoo/gozoo/optim"
)

// LRScheduler sets the optimizer's learning rate from a schedule: at the
// start of each epoch to Schedule.At(epoch-1), or, with PerStep, before each
// step to Schedule.At(Trainer.Step), the number of steps taken before it.
// Both indices count from 0 and carry on across a resume, because the
// trainer's epoch and step counters are in the checkpoint, so the callback
// needs no state of its own.
type LRScheduler struct {
	BaseCallback
	Schedule optim.Schedule
	PerStep  bool
}

// Validate checks that there is a schedule and that it is valid.
func (l *LRScheduler) Validate() error {
	if l.Schedule == nil {
		return fmt.Errorf("recipes: learning rate scheduler has no schedule")
	}
	if err := l.Schedule.Validate(); err != nil {
		return fmt.Errorf("recipes: learning rate scheduler: %w", err)
	}
	return nil
}

func (l *LRScheduler) OnTrainBegin(*Run) error { return l.Validate() }

func (l *LRScheduler) OnEpochBegin(r *Run, epoch int) error {
	if !l.PerStep {
		r.Trainer.Optimizer.SetLearningRate(l.Schedule.At(epoch - 1))
	}
	return nil
}

func (l *LRScheduler) OnBatchBegin(r *Run, _ int) error {
	if l.PerStep {
		r.Trainer.Optimizer.SetLearningRate(l.Schedule.At(int(min(r.Trainer.Step, math.MaxInt32))))
	}
	return nil
}

// ReduceLROnPlateau lowers the optimizer's learning rate when a monitored
// metric stops improving, by the rule of optim.ReduceOnPlateau (PyTorch's
// ReduceLROnPlateau), observing the metric at the end of each epoch. An
// epoch's EpochStats.LearningRate is the rate it trained with; a reduction
// applies from the next epoch.
//
// It cannot share a run with an LRScheduler, which would overwrite its rate.
// It is Stateful (the plateau counters); the current rate is part of the
// optimizer's state in a checkpoint. A Fit that starts from epoch 0 resets
// the counters.
type ReduceLROnPlateau struct {
	BaseCallback
	// Monitor is the metric watched; default ValLoss.
	Monitor Metric
	// Plateau holds the settings (Factor, Patience, MinDelta, Min,
	// Cooldown) and the counters. An empty Mode follows Monitor; a Mode
	// that contradicts Monitor is an error.
	Plateau optim.ReduceOnPlateau
}

func (p *ReduceLROnPlateau) mode() optim.PlateauMode {
	if p.Monitor.LowerIsBetter() {
		return optim.Minimize
	}
	return optim.Maximize
}

// Validate checks the settings.
func (p *ReduceLROnPlateau) Validate() error {
	if err := p.Monitor.validate("reduce lr on plateau"); err != nil {
		return err
	}
	if err := p.Plateau.Validate(); err != nil {
		return fmt.Errorf("recipes: %w", err)
	}
	if m := p.Plateau.Mode; m != "" && m != p.mode() {
		return fmt.Errorf("recipes: reduce lr on plateau monitors %s, which wants mode %q, but mode is %q", p.Monitor, p.mode(), m)
	}
	return nil
}

func (p *ReduceLROnPlateau) OnTrainBegin(r *Run) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if err := p.Monitor.checkRun(r, "reduce lr on plateau"); err != nil {
		return err
	}
	for _, c := range r.Options.Callbacks {
		if _, ok := c.(*LRScheduler); ok {
			return fmt.Errorf("recipes: reduce lr on plateau and a learning rate scheduler in one run: the scheduler would overwrite each reduction")
		}
	}
	p.Plateau.Mode = p.mode()
	if !continuing(r) {
		return p.Plateau.LoadState(optim.PlateauState{})
	}
	return nil
}

func (p *ReduceLROnPlateau) OnEpochEnd(r *Run, s *EpochStats) error {
	v, err := p.Monitor.observe(s, "reduce lr on plateau")
	if err != nil {
		return err
	}
	if math.IsInf(v, 0) {
		// An infinite value would become the best, which JSON state cannot
		// hold; count it as not improving, like a NaN.
		v = math.NaN()
	}
	lr := p.Plateau.Observe(v, r.Trainer.Optimizer.LearningRate())
	if math.IsNaN(lr) {
		return fmt.Errorf("recipes: reduce lr on plateau gave no learning rate at epoch %d", s.Epoch)
	}
	r.Trainer.Optimizer.SetLearningRate(lr)
	return nil
}

// StateKey is "reduce_lr_on_plateau": a checkpoint holds one
// ReduceLROnPlateau.
func (p *ReduceLROnPlateau) StateKey() string { return "reduce_lr_on_plateau" }

func (p *ReduceLROnPlateau) MarshalState() ([]byte, error) { return json.Marshal(p.Plateau.State()) }

func (p *ReduceLROnPlateau) UnmarshalState(data []byte) error {
	var s optim.PlateauState
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("recipes: reduce lr on plateau state: %w", err)
	}
	if err := p.Plateau.LoadState(s); err != nil {
		return fmt.Errorf("recipes: %w", err)
	}
	return nil
}
