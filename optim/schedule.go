package optim

import (
	"fmt"
	"math"
)

// Schedule is a learning rate as a pure function of a step or epoch index t,
// counted from 0. The caller decides which index it passes and calls
// Optimizer.SetLearningRate with the result.
type Schedule interface {
	// At returns the learning rate at index t; t < 0 counts as 0. For a
	// schedule that fails Validate it returns NaN, which Optimizer.Step
	// then rejects.
	At(t int) float64
	// Validate reports the first invalid field.
	Validate() error
}

// StepDecay multiplies the rate by Gamma every StepSize indices, like
// torch.optim.lr_scheduler.StepLR:
//
//	lr(t) = Base * Gamma^floor(t/StepSize)
type StepDecay struct {
	Base     float64 `json:"base"`
	StepSize int     `json:"step_size"`
	Gamma    float64 `json:"gamma"`
}

// Validate checks that Base is finite and non-negative, StepSize at least 1
// and Gamma finite and positive.
func (s StepDecay) Validate() error {
	return firstError(
		checkRate("step decay", "base", s.Base),
		checkAtLeast("step decay", "step size", s.StepSize, 1),
		checkGamma("step decay", s.Gamma),
	)
}

// At returns Base * Gamma^floor(t/StepSize).
func (s StepDecay) At(t int) float64 {
	if s.Validate() != nil {
		return math.NaN()
	}
	return s.Base * math.Pow(s.Gamma, float64(max(t, 0)/s.StepSize))
}

// Exponential multiplies the rate by Gamma at every index, like
// torch.optim.lr_scheduler.ExponentialLR:
//
//	lr(t) = Base * Gamma^t
type Exponential struct {
	Base  float64 `json:"base"`
	Gamma float64 `json:"gamma"`
}

// Validate checks that Base is finite and non-negative and Gamma finite and
// positive.
func (s Exponential) Validate() error {
	return firstError(checkRate("exponential", "base", s.Base), checkGamma("exponential", s.Gamma))
}

// At returns Base * Gamma^t.
func (s Exponential) At(t int) float64 {
	if s.Validate() != nil {
		return math.NaN()
	}
	return s.Base * math.Pow(s.Gamma, float64(max(t, 0)))
}

// CosineWarmup warms up linearly to Base over Warmup indices, then follows a
// half cosine from Base down to Min, reached at index Total and kept after:
//
//	lr(t) = Base * (t+1)/Warmup                          t < Warmup
//	lr(t) = Min + (Base-Min) * (1 + cos(pi*p)) / 2       Warmup <= t < Total
//	        with p = (t-Warmup)/(Total-Warmup)
//	lr(t) = Min                                          t >= Total
//
// The warm-up starts at Base/Warmup rather than 0, as timm's does, so the
// first step is not wasted; the decay is that of transformers'
// get_cosine_schedule_with_warmup with a floor Min. Warmup 0 means no
// warm-up.
type CosineWarmup struct {
	Base   float64 `json:"base"`
	Min    float64 `json:"min"`
	Warmup int     `json:"warmup"`
	Total  int     `json:"total"`
}

// Validate checks that 0 <= Min <= Base, both finite, and
// 0 <= Warmup < Total.
func (s CosineWarmup) Validate() error {
	err := firstError(
		checkRate("cosine warmup", "base", s.Base),
		checkRate("cosine warmup", "min", s.Min),
		checkAtLeast("cosine warmup", "warmup", s.Warmup, 0),
	)
	if err != nil {
		return err
	}
	if s.Min > s.Base {
		return fmt.Errorf("optim: cosine warmup min %g above base %g", s.Min, s.Base)
	}
	if s.Total <= s.Warmup {
		return fmt.Errorf("optim: cosine warmup total %d must exceed warmup %d", s.Total, s.Warmup)
	}
	return nil
}

// At returns the warm-up or cosine value at index t.
func (s CosineWarmup) At(t int) float64 {
	if s.Validate() != nil {
		return math.NaN()
	}
	t = max(t, 0)
	switch {
	case t < s.Warmup:
		return s.Base * float64(t+1) / float64(s.Warmup)
	case t >= s.Total:
		return s.Min
	}
	p := float64(t-s.Warmup) / float64(s.Total-s.Warmup)
	return s.Min + (s.Base-s.Min)*(1+math.Cos(math.Pi*p))/2
}

// PlateauMode says whether a monitored value improves by falling or rising.
type PlateauMode string

// The modes of ReduceOnPlateau.
const (
	Minimize PlateauMode = "min" // a loss
	Maximize PlateauMode = "max" // an accuracy
)

// ReduceOnPlateau lowers the learning rate when a monitored value stops
// improving, with the semantics of torch.optim.lr_scheduler.ReduceLROnPlateau
// in threshold mode "abs" (Keras's min_delta):
//
//   - a value improves when it beats the best so far by more than MinDelta
//     (value < best-MinDelta for Minimize, value > best+MinDelta for
//     Maximize); a NaN never improves;
//   - each observation that does not improve is a bad epoch, an improving
//     one resets the count; during a cooldown the count stays 0;
//   - when the count exceeds Patience the rate becomes max(lr*Factor, Min),
//     unless that changes it by 1e-8 or less, and a cooldown of Cooldown
//     observations starts.
//
// Keras reduces one observation earlier (when the count reaches Patience).
// The zero value means Factor 0.1, Patience 0 (reduce at the first
// observation that does not improve; PyTorch's and Keras's default is 10),
// MinDelta 0, Min 0, Mode Minimize and Cooldown 0.
//
// Its counters are its only state; State and LoadState carry them through a
// checkpoint.
type ReduceOnPlateau struct {
	Factor   float64     `json:"factor"`
	Patience int         `json:"patience"`
	MinDelta float64     `json:"min_delta"`
	Min      float64     `json:"min"`
	Mode     PlateauMode `json:"mode"`
	Cooldown int         `json:"cooldown"`

	state PlateauState
}

// PlateauState is the state of a ReduceOnPlateau between observations.
type PlateauState struct {
	// Best is the best value seen, meaningful when HasBest is set (a
	// separate flag keeps the state free of infinities, which JSON cannot
	// hold).
	Best    float64 `json:"best"`
	HasBest bool    `json:"has_best"`
	// BadEpochs counts observations since the last improvement.
	BadEpochs int `json:"bad_epochs"`
	// CooldownLeft counts the observations left in the current cooldown.
	CooldownLeft int `json:"cooldown_left"`
}

// plateauEpsilon is PyTorch's eps: a reduction smaller than this is skipped.
const plateauEpsilon = 1e-8

// Validate checks that Factor is in (0, 1) or 0, Patience, Cooldown,
// MinDelta and Min are non-negative and finite, and Mode is "", "min" or
// "max".
func (r *ReduceOnPlateau) Validate() error {
	if f := r.Factor; f != 0 && !(f > 0 && f < 1) {
		return fmt.Errorf("optim: reduce on plateau factor %g outside (0, 1)", f)
	}
	if r.Mode != "" && r.Mode != Minimize && r.Mode != Maximize {
		return fmt.Errorf("optim: reduce on plateau mode %q (valid: min, max)", r.Mode)
	}
	return firstError(
		checkAtLeast("reduce on plateau", "patience", r.Patience, 0),
		checkAtLeast("reduce on plateau", "cooldown", r.Cooldown, 0),
		checkRate("reduce on plateau", "min delta", r.MinDelta),
		checkRate("reduce on plateau", "min", r.Min),
	)
}

// Observe records one value of the monitored quantity (typically once per
// epoch) and returns the learning rate to use from now on: current, or
// current reduced. For a ReduceOnPlateau that fails Validate it returns NaN
// and records nothing.
func (r *ReduceOnPlateau) Observe(value, current float64) (newLR float64) {
	if r.Validate() != nil {
		return math.NaN()
	}
	s := &r.state
	if r.improves(value) {
		s.Best, s.HasBest, s.BadEpochs = value, true, 0
	} else {
		s.BadEpochs++
	}
	if s.CooldownLeft > 0 {
		s.CooldownLeft--
		s.BadEpochs = 0
	}
	if s.BadEpochs <= r.Patience {
		return current
	}
	s.CooldownLeft, s.BadEpochs = r.Cooldown, 0
	reduced := math.Max(current*orDefault(r.Factor, 0.1), r.Min)
	if current-reduced > plateauEpsilon {
		return reduced
	}
	return current
}

func (r *ReduceOnPlateau) improves(value float64) bool {
	if math.IsNaN(value) {
		return false
	}
	if !r.state.HasBest {
		return true // PyTorch starts from best = +-Inf
	}
	if r.Mode == Maximize {
		return value > r.state.Best+r.MinDelta
	}
	return value < r.state.Best-r.MinDelta
}

// State returns the counters, for a checkpoint.
func (r *ReduceOnPlateau) State() PlateauState { return r.state }

// LoadState restores counters returned by State, or returns an error for
// negative counts or a non-finite best.
func (r *ReduceOnPlateau) LoadState(s PlateauState) error {
	if s.BadEpochs < 0 || s.CooldownLeft < 0 {
		return fmt.Errorf("optim: reduce on plateau state has negative counts (bad epochs %d, cooldown %d)", s.BadEpochs, s.CooldownLeft)
	}
	if math.IsNaN(s.Best) || math.IsInf(s.Best, 0) {
		return fmt.Errorf("optim: reduce on plateau state has best %g", s.Best)
	}
	r.state = s
	return nil
}

func checkGamma(kind string, v float64) error {
	if !(v > 0) || math.IsInf(v, 1) {
		return fmt.Errorf("optim: %s gamma %g must be finite and positive", kind, v)
	}
	return nil
}

func checkAtLeast(kind, what string, v, least int) error {
	if v < least {
		return fmt.Errorf("optim: %s %s %d is below %d", kind, what, v, least)
	}
	return nil
}
