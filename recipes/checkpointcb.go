package recipes

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
)

// ModelCheckpoint writes training checkpoints (Trainer.SaveCheckpoint) at
// the end of epochs: with SaveLast, "last" every Every epochs and at the
// epoch Fit was asked to reach; with SaveBest, "best" whenever the
// monitored metric beats its best so far. Each write is atomic, so a crash
// leaves the previous file whole, and LoadCheckpoint resumes from either.
//
// A checkpoint holds the state of every Stateful callback as it is when the
// file is written, so ModelCheckpoint must come after the Stateful
// callbacks in FitOptions.Callbacks (training fails to begin otherwise), and
// each state key may appear once. It refuses to write parameters that are
// not finite rather than overwrite a good file.
//
// There is no separate TerminateOnNaN callback: Fit itself stops with a
// *NonFiniteLossError at the first NaN or infinite training loss, before
// that step's update, and no epoch-end callback runs for that epoch, so the
// last checkpoint written is that of the epoch before.
//
// It is Stateful (its best value), so that a resumed run overwrites the best
// file only when it beats the best of the whole run. A Fit that starts from
// epoch 0 resets it.
type ModelCheckpoint struct {
	BaseCallback
	// Dir is the folder of last.safetensors and best.safetensors, created
	// if missing. Set Dir or Path, not both.
	Dir string
	// Path names each file from which one it is ("last" or "best") and the
	// epoch it holds, e.g. to keep one file per epoch.
	Path func(name string, epoch int) string
	// Monitor is the metric that decides the best checkpoint; default
	// ValLoss.
	Monitor Metric
	// SaveBest and SaveLast choose the files written; at least one must be
	// set.
	SaveBest, SaveLast bool
	// Every is the interval in epochs of the last checkpoint; default 1.
	Every int
	// Extra is metadata added to every file.
	Extra map[string]string

	state best
}

// Validate checks the settings.
func (c *ModelCheckpoint) Validate() error {
	switch {
	case (c.Dir == "") == (c.Path == nil):
		return fmt.Errorf("recipes: model checkpoint needs a Dir or a Path, not both or neither")
	case !c.SaveBest && !c.SaveLast:
		return fmt.Errorf("recipes: model checkpoint saves nothing: set SaveLast, SaveBest or both")
	case c.Every < 0:
		return fmt.Errorf("recipes: model checkpoint interval %d is negative", c.Every)
	}
	return c.Monitor.validate("model checkpoint")
}

// Best returns the epoch and value of the best checkpoint, and false before
// one was written.
func (c *ModelCheckpoint) Best() (epoch int, value float64, ok bool) {
	return c.state.Epoch, c.state.Value, c.state.Has
}

func (c *ModelCheckpoint) OnTrainBegin(r *Run) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if c.SaveBest {
		if err := c.Monitor.checkRun(r, "model checkpoint"); err != nil {
			return err
		}
	}
	if err := c.checkOrder(r.Options.Callbacks); err != nil {
		return err
	}
	if c.Dir != "" {
		if err := os.MkdirAll(c.Dir, 0o755); err != nil {
			return fmt.Errorf("recipes: model checkpoint: %w", err)
		}
	}
	if !continuing(r) {
		c.state = best{}
	}
	return nil
}

// checkOrder reports a Stateful callback after c, whose state c's files
// would hold as of the epoch before, and a state key used twice.
func (c *ModelCheckpoint) checkOrder(callbacks []Callback) error {
	seen, self := map[string]bool{}, false
	for _, cb := range callbacks {
		if cb == Callback(c) {
			self = true
		}
		s, ok := cb.(Stateful)
		if !ok {
			continue
		}
		key := s.StateKey()
		if seen[key] {
			return fmt.Errorf("recipes: two callbacks have state key %q; a checkpoint holds one", key)
		}
		seen[key] = true
		if self && cb != Callback(c) {
			return fmt.Errorf("recipes: model checkpoint must come after callback %q in the list, or its files would hold that callback's state of the epoch before", key)
		}
	}
	return nil
}

func (c *ModelCheckpoint) OnEpochEnd(r *Run, s *EpochStats) error {
	if c.SaveBest {
		v, err := c.Monitor.observe(s, "model checkpoint")
		if err != nil {
			return err
		}
		if c.state.update(c.Monitor, v, 0, s.Epoch) {
			if err := c.save(r, "best", s.Epoch); err != nil {
				return err
			}
		}
	}
	every := max(c.Every, 1)
	if c.SaveLast && (s.Epoch%every == 0 || s.Epoch == r.Options.Epochs) {
		return c.save(r, "last", s.Epoch)
	}
	return nil
}

func (c *ModelCheckpoint) save(r *Run, name string, epoch int) error {
	path := filepath.Join(c.Dir, name+".safetensors")
	if c.Path != nil {
		if path = c.Path(name, epoch); path == "" {
			return fmt.Errorf("recipes: model checkpoint Path gave no file name for %s of epoch %d", name, epoch)
		}
	}
	for _, p := range r.Trainer.Model.Params() {
		for _, v := range p.Data() {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return fmt.Errorf("recipes: model checkpoint: parameter %s is %v after epoch %d; %s not written", p.Name, v, epoch, path)
			}
		}
	}
	return r.Trainer.SaveCheckpoint(path, r.Options.Callbacks, c.Extra)
}

// StateKey is "model_checkpoint": a checkpoint holds one ModelCheckpoint.
func (c *ModelCheckpoint) StateKey() string { return "model_checkpoint" }

func (c *ModelCheckpoint) MarshalState() ([]byte, error) { return json.Marshal(c.state) }

func (c *ModelCheckpoint) UnmarshalState(data []byte) error {
	var s best
	if err := decodeState("model checkpoint", data, &s, &s); err != nil {
		return err
	}
	c.state = s
	return nil
}
