package recipes

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/gozoo/gozoo/io/modelfile"
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
	// Keep is how many "last" checkpoints are kept: the newest at its path
	// and, when Keep > 1, the Keep-1 before it beside it, named after it
	// with the epoch they hold (last-3.safetensors, or
	// checkpoint-3.safetensors for a Path of checkpoint.safetensors). Each
	// save turns the file it replaces into such a copy (a hard link where
	// the file system has them) and removes the oldest; RotatedCheckpoints
	// lists them. 0 and 1 keep the newest only.
	Keep int
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
	case c.Keep < 0 || c.Keep > maxKeep:
		return fmt.Errorf("recipes: model checkpoint keep must be in 0..%d, got %d", maxKeep, c.Keep)
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
	keep := 1
	if name == "last" {
		keep = max(c.Keep, 1)
	}
	if keep > 1 {
		if err := rotate(path, epoch); err != nil {
			return err
		}
	}
	if err := r.Trainer.SaveCheckpoint(path, r.Options.Callbacks, c.Extra); err != nil {
		return err
	}
	if keep > 1 {
		return prune(path, epoch, keep-1)
	}
	return nil
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

// maxKeep bounds ModelCheckpoint.Keep.
const maxKeep = 1000

// RotatedPath is where ModelCheckpoint keeps the checkpoint of epoch that
// path held before a newer one replaced it: path with "-EPOCH" before its
// extension.
func RotatedPath(path string, epoch int) string {
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + "-" + strconv.Itoa(epoch) + ext
}

// RotatedCheckpoint is an older checkpoint kept beside path.
type RotatedCheckpoint struct {
	Path  string
	Epoch int
}

// RotatedCheckpoints lists the files RotatedPath names for path that
// exist, newest (highest epoch) first.
func RotatedCheckpoints(path string) ([]RotatedCheckpoint, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	ext := filepath.Ext(base)
	prefix := strings.TrimSuffix(base, ext) + "-"
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("recipes: checkpoints beside %s: %w", path, err)
	}
	var out []RotatedCheckpoint
	for _, e := range entries {
		name := e.Name()
		digits, ok := strings.CutPrefix(name, prefix)
		if !ok || !strings.HasSuffix(digits, ext) || !e.Type().IsRegular() {
			continue
		}
		digits = strings.TrimSuffix(digits, ext)
		epoch, err := strconv.Atoi(digits)
		if err != nil || epoch < 0 || strconv.Itoa(epoch) != digits {
			continue
		}
		out = append(out, RotatedCheckpoint{Path: filepath.Join(dir, name), Epoch: epoch})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Epoch > out[j].Epoch })
	return out, nil
}

// rotate keeps the checkpoint at path, if it holds an epoch before epoch,
// as RotatedPath(path, its epoch), before a new one replaces it. A file at
// path that is not a readable checkpoint is not kept.
func rotate(path string, epoch int) error {
	meta, err := modelfile.ReadMetadata(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return nil // nothing worth keeping
	}
	old, err := strconv.Atoi(meta[KeyEpoch])
	if err != nil || old < 0 || old >= epoch || meta[KeyCheckpoint] != "1" {
		return nil
	}
	dst := RotatedPath(path, old)
	if err := os.Remove(dst); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("recipes: model checkpoint: %w", err)
	}
	if err := os.Link(path, dst); err == nil {
		return nil
	}
	// No hard links here: copy the file.
	src, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("recipes: model checkpoint: %w", err)
	}
	defer src.Close() // read-only
	if err := modelfile.WriteAtomic(dst, func(w io.Writer) error { _, err := io.Copy(w, src); return err }); err != nil {
		return fmt.Errorf("recipes: model checkpoint: keep %s: %w", dst, err)
	}
	return nil
}

// prune removes the rotated copies of path beyond the newest keep before
// epoch, and any of epoch or later: a run that continues from an earlier
// checkpoint replaces the later ones it retrains.
func prune(path string, epoch, keep int) error {
	rotated, err := RotatedCheckpoints(path)
	if err != nil {
		return err
	}
	kept := 0
	for _, r := range rotated {
		if r.Epoch < epoch && kept < keep {
			kept++
			continue
		}
		if err := os.Remove(r.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("recipes: model checkpoint: %w", err)
		}
	}
	return nil
}
