package recipes

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
)

// ErrInUse is returned by a Trainer's Fit, TrainOnBatch, Evaluate, Predict
// and Close when another of them is running on the same trainer: a Trainer
// serves one goroutine at a time.
var ErrInUse = errors.New("recipes: trainer is in use by another call (a Trainer serves one goroutine at a time)")

// guard turns concurrent use of a Trainer into ErrInUse. Gorgonia runs
// graphs on goroutines of its own, where a data race or a panic reaches no
// caller's recover, so the trainer refuses rather than races.
//
// busy is held by Fit and by a top-level Evaluate, Predict or Close, each of
// which also holds nested; Fit lets go of nested while its callbacks run, so
// that one callback may call Evaluate or Predict (the experiment's test
// figures do), and takes it back before the next step, waiting for such a
// call to end.
type guard struct {
	busy   atomic.Bool
	nested sync.Mutex
}

// enter claims the trainer. A call that may run inside a callback (Evaluate,
// Predict) passes nestable.
func (g *guard) enter(nestable bool) (leave func(), err error) {
	if g.busy.CompareAndSwap(false, true) {
		// Hold nested too, or a second Evaluate would pass as nested. It
		// is free, or about to be: only a call nested in a Fit that is
		// ending can hold it.
		g.nested.Lock()
		return func() {
			g.nested.Unlock()
			g.busy.Store(false)
		}, nil
	}
	if nestable && g.nested.TryLock() {
		return g.nested.Unlock, nil
	}
	return nil, ErrInUse
}

// enterFit claims the trainer for Fit; leave releases it.
func (g *guard) enterFit() (leave func(), err error) {
	if !g.busy.CompareAndSwap(false, true) {
		return nil, ErrInUse
	}
	g.nested.Lock()
	return func() {
		g.nested.Unlock()
		g.busy.Store(false)
	}, nil
}

// callbacks runs f (Fit's callbacks) with nested released.
func (g *guard) callbacks(f func() error) error {
	g.nested.Unlock()
	defer g.nested.Lock()
	return f()
}

// ready checks that the trainer has what every call needs, so that a
// Trainer built by hand (not by NewTrainer) fails with an error, not a nil
// dereference.
func (t *Trainer) ready(training bool) error {
	switch {
	case isNil(t.Model):
		return fmt.Errorf("recipes: trainer has no model")
	case isNil(t.Loss):
		return fmt.Errorf("recipes: trainer has no loss")
	case !training:
		return nil
	case isNil(t.Optimizer):
		return fmt.Errorf("recipes: trainer has no optimizer")
	case t.Source == nil:
		return fmt.Errorf("recipes: trainer has no random source (NewTrainer makes one from a seed)")
	}
	if t.rng == nil {
		t.rng = rand.New(t.Source)
	}
	return nil
}
