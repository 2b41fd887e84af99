package experiment

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/gozoo/gozoo/io/modelfile"
	"github.com/gozoo/gozoo/recipes"
)

// RunExistsError is returned by Fit for a new run whose Out folder already
// holds a run, unless Settings.Overwrite is set: continue that run with
// Resume, or replace it.
type RunExistsError struct {
	Dir   string
	Files []string // the run's files found in Dir
}

func (e *RunExistsError) Error() string {
	return fmt.Sprintf("experiment: %s already holds a run (%s); resume it, or set Overwrite to replace it", e.Dir, strings.Join(e.Files, ", "))
}

// runFiles lists the files of a run in dir: the model, checkpoints (kept
// ones included), the interrupt file and the history.
func runFiles(dir string) ([]string, error) {
	var found []string
	for _, name := range []string{ModelFile, CheckpointFile, InterruptedFile, HistoryJSONFile, HistoryCSVFile} {
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			found = append(found, name)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("experiment: %w", err)
		}
	}
	rotated, err := recipes.RotatedCheckpoints(filepath.Join(dir, CheckpointFile))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for _, r := range rotated {
		found = append(found, filepath.Base(r.Path))
	}
	return found, nil
}

// prepareOut makes Out ready before any training: it exists, a new run
// does not silently replace an earlier one, and a file can be written
// there (a read-only or missing folder fails now, not after an epoch).
func (e *Experiment) prepareOut() error {
	out := e.Settings.Out
	if out == "" {
		return nil
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("experiment: out folder: %w", err)
	}
	if e.ck == nil {
		files, err := runFiles(out)
		if err != nil {
			return err
		}
		if len(files) > 0 && !e.Settings.Overwrite {
			return &RunExistsError{Dir: out, Files: files}
		}
		if len(files) > 0 {
			// The replaced run's older checkpoints and interrupt file are
			// not overwritten by the new run's saves; left, Resume could
			// take them for the new run's.
			rotated, err := recipes.RotatedCheckpoints(filepath.Join(out, CheckpointFile))
			if err != nil {
				return err
			}
			stale := []string{filepath.Join(out, InterruptedFile)}
			for _, r := range rotated {
				stale = append(stale, r.Path)
			}
			for _, p := range stale {
				if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("experiment: overwrite: %w", err)
				}
			}
		}
	}
	return checkWritable(out)
}

// checkWritable creates, writes, syncs and removes a probe file in dir.
func checkWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".gozoo-write-probe-*")
	if err != nil {
		return fmt.Errorf("experiment: out folder %s is not writable: %w", dir, err)
	}
	name := f.Name()
	_, werr := f.Write([]byte("gozoo"))
	if werr == nil {
		werr = f.Sync()
	}
	cerr := f.Close()
	rerr := os.Remove(name)
	switch {
	case werr != nil:
		return fmt.Errorf("experiment: out folder %s is not writable: %w", dir, werr)
	case cerr != nil:
		return fmt.Errorf("experiment: out folder %s is not writable: %w", dir, cerr)
	case rerr != nil:
		return fmt.Errorf("experiment: out folder %s: cannot remove the probe file: %w", dir, rerr)
	}
	return nil
}

// progress is how far a checkpoint is: completed epochs, then steps.
type progress struct {
	epoch int
	step  int64
}

func (p progress) after(q progress) bool {
	return p.epoch > q.epoch || (p.epoch == q.epoch && p.step > q.step)
}

// checkpointProgress reads a checkpoint's epoch and step from its header.
func checkpointProgress(path string) (progress, error) {
	meta, err := modelfile.ReadMetadata(path)
	if err != nil {
		return progress{}, err
	}
	if meta[recipes.KeyCheckpoint] != "1" {
		return progress{}, fmt.Errorf("experiment: %s is not a checkpoint", path)
	}
	epoch, err1 := strconv.Atoi(meta[recipes.KeyEpoch])
	step, err2 := strconv.ParseInt(meta[recipes.KeyStep], 10, 64)
	if err1 != nil || err2 != nil || epoch < 0 || step < 0 {
		return progress{}, fmt.Errorf("experiment: %s: epoch %q, step %q are not counts", path, meta[recipes.KeyEpoch], meta[recipes.KeyStep])
	}
	return progress{epoch, step}, nil
}

// SkippedCheckpoint is a checkpoint Resume passed over because it did not
// load (a checksum mismatch, say), for one it fell back to.
type SkippedCheckpoint struct {
	Path string
	Err  error
}

// resumeCandidates lists the checkpoints Resume may start from, most
// advanced first. For a folder: checkpoint.safetensors, its kept copies and
// interrupted.safetensors; for a file: the file, then its kept copies.
// Files whose header does not read are listed last, so that loading them
// reports why.
func resumeCandidates(path string, dir bool) []string {
	main := path
	if _, err := os.Stat(path); err != nil && !dir {
		return []string{path} // loading it reports why
	}
	var paths []string
	if dir {
		main = filepath.Join(path, CheckpointFile)
		paths = append(paths, filepath.Join(path, InterruptedFile))
	}
	paths = append(paths, main)
	if rotated, err := recipes.RotatedCheckpoints(main); err == nil {
		for _, r := range rotated {
			paths = append(paths, r.Path)
		}
	}
	type cand struct {
		path string
		p    progress
		ok   bool
	}
	var cands []cand
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		pr, err := checkpointProgress(p)
		cands = append(cands, cand{p, pr, err == nil})
	}
	if !dir {
		// The file asked for comes first; the rest are fallbacks.
		if len(cands) > 0 && cands[0].path == path {
			rest := cands[1:]
			sort.SliceStable(rest, func(i, j int) bool { return rest[i].ok && (!rest[j].ok || rest[i].p.after(rest[j].p)) })
		}
	} else {
		sort.SliceStable(cands, func(i, j int) bool { return cands[i].ok && (!cands[j].ok || cands[i].p.after(cands[j].p)) })
	}
	out := make([]string, len(cands))
	for i, c := range cands {
		out[i] = c.path
	}
	if len(out) == 0 {
		out = []string{main} // loading it reports that it is missing
	}
	return out
}

// loadNewest loads the first candidate that loads, recording the ones it
// skipped (a wrong checksum, a damaged file) and why. If none loads, the
// error names each failure.
func loadNewest(candidates []string) (*recipes.Checkpoint, string, []SkippedCheckpoint, error) {
	var skipped []SkippedCheckpoint
	var last error
	for _, p := range candidates {
		ck, err := recipes.LoadCheckpoint(p)
		if err == nil {
			return ck, p, skipped, nil
		}
		last = err
		skipped = append(skipped, SkippedCheckpoint{Path: p, Err: err})
	}
	if len(skipped) > 1 {
		var msgs []string
		for _, s := range skipped {
			msgs = append(msgs, s.Err.Error())
		}
		return nil, "", nil, fmt.Errorf("experiment: no checkpoint loads: %s", strings.Join(msgs, "; "))
	}
	return nil, "", nil, last
}
