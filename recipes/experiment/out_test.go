package experiment

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/io/modelfile"
	"github.com/gozoo/gozoo/recipes"
)

// irisSettings is a quick table run: 102 training rows in 7 batches of 16.
func irisSettings(out string, epochs int) Settings {
	s := TableSettings("iris")
	s.Epochs, s.Out = epochs, out
	return s
}

// fit runs an experiment to the end.
func fit(t *testing.T, e *Experiment, err error) *Result {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	res, err := e.Fit(context.Background(), FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// bits returns every tensor of a model file as raw bits, by name.
func bits(t *testing.T, path string) map[string][]uint32 {
	t.Helper()
	f, err := modelfile.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]uint32{}
	for _, ts := range f.Tensors {
		for _, v := range ts.Data {
			out[ts.Name] = append(out[ts.Name], math.Float32bits(v))
		}
	}
	return out
}

func sameModel(t *testing.T, want, got string) {
	t.Helper()
	w, g := bits(t, want), bits(t, got)
	if len(w) != len(g) {
		t.Fatalf("%s has %d tensors, %s %d", want, len(w), got, len(g))
	}
	for name, b := range w {
		if !slices.Equal(b, g[name]) {
			t.Errorf("%s differs between %s and %s", name, want, got)
		}
	}
}

// stopAt cancels the run when the step counter reaches step.
type stopAt struct {
	recipes.BaseCallback
	step   int64
	cancel context.CancelFunc
}

func (s *stopAt) OnBatchEnd(_ *recipes.Run, b recipes.BatchStats) error {
	if b.Step == s.step {
		s.cancel()
	}
	return nil
}

// interrupt runs e until step, cancels it and returns the InterruptedError.
func interrupt(t *testing.T, e *Experiment, step int64) *InterruptedError {
	t.Helper()
	defer e.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := e.Fit(ctx, FitOptions{Callbacks: []recipes.Callback{&stopAt{step: step, cancel: cancel}}})
	var ie *InterruptedError
	if !errors.As(err, &ie) {
		t.Fatalf("Fit returned %v, want an InterruptedError", err)
	}
	return ie
}

// An interrupt in the middle of an epoch, resumed from the file it names
// or from the folder, ends with the uninterrupted run's model and history.
func TestMidEpochInterruptResumesExactly(t *testing.T) {
	straight := t.TempDir()
	e, err := New(irisSettings(straight, 3))
	fit(t, e, err)
	wantHistory, _ := os.ReadFile(filepath.Join(straight, HistoryJSONFile))
	for _, tc := range []struct {
		name   string
		step   int64
		folder bool
	}{{"epoch 1 batch 3, from the file", 3, false}, {"epoch 2 batch 4, from the folder", 11, true}, {"end of epoch 2", 14, true}} {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			e, err := New(irisSettings(out, 3))
			if err != nil {
				t.Fatal(err)
			}
			ie := interrupt(t, e, tc.step)
			if ie.SaveErr != nil || !ie.Written || ie.Path != filepath.Join(out, InterruptedFile) || ie.Step != tc.step || ie.Batches != 7 {
				t.Fatalf("interrupt %+v", ie)
			}
			from := ie.Path
			if tc.folder {
				from = out
			}
			r, err := Resume(from, 3, nil)
			if err != nil {
				t.Fatal(err)
			}
			if r.ResumedFrom != ie.Path || len(r.Skipped) != 0 {
				t.Errorf("resumed from %s (skipped %v), want %s", r.ResumedFrom, r.Skipped, ie.Path)
			}
			fit(t, r, nil)
			sameModel(t, filepath.Join(straight, ModelFile), filepath.Join(out, ModelFile))
			sameModel(t, filepath.Join(straight, CheckpointFile), filepath.Join(out, CheckpointFile))
			if got, _ := os.ReadFile(filepath.Join(out, HistoryJSONFile)); !sameHistory(t, wantHistory, got) {
				t.Errorf("history differs from the uninterrupted run's:\n%s\nwant\n%s", got, wantHistory)
			}
		})
	}
}

// sameHistory compares two history.json files but for the timings.
func sameHistory(t *testing.T, a, b []byte) bool {
	t.Helper()
	strip := func(data []byte) []recipes.EpochStats {
		var h recipes.History
		if err := jsonUnmarshal(data, &h); err != nil {
			t.Fatal(err)
		}
		for i := range h.Epochs {
			h.Epochs[i].Seconds, h.Epochs[i].SamplesPerSec = 0, 0
		}
		return h.Epochs
	}
	x, y := strip(a), strip(b)
	return len(x) == len(y) && slices.EqualFunc(x, y, func(p, q recipes.EpochStats) bool { return p == q })
}

// A new run refuses an Out folder that holds a run, and with Overwrite
// replaces it, removing the old run's extra checkpoints and interrupt file.
func TestOutFolderHoldingARun(t *testing.T) {
	out := t.TempDir()
	e, err := New(irisSettings(out, 2))
	fit(t, e, err)
	before, _ := os.ReadFile(filepath.Join(out, ModelFile))
	e, err = New(irisSettings(out, 2))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Fit(context.Background(), FitOptions{OnEpoch: func(EpochReport) error { t.Error("trained into a folder holding a run"); return nil }})
	e.Close()
	var re *RunExistsError
	if !errors.As(err, &re) || re.Dir != out || !slices.Contains(re.Files, ModelFile) || !slices.Contains(re.Files, "checkpoint-1.safetensors") {
		t.Fatalf("error %v, want a RunExistsError listing the run's files", err)
	}
	if after, _ := os.ReadFile(filepath.Join(out, ModelFile)); !slices.Equal(before, after) {
		t.Error("the refused run changed the model")
	}
	for _, name := range []string{"checkpoint-7.safetensors", InterruptedFile} {
		if err := os.WriteFile(filepath.Join(out, name), []byte("old run"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := irisSettings(out, 2)
	s.Overwrite, s.Seed = true, 2
	e, err = New(s)
	fit(t, e, err)
	for _, name := range []string{"checkpoint-7.safetensors", InterruptedFile} {
		if _, err := os.Stat(filepath.Join(out, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("overwrite left the old run's %s (%v)", name, err)
		}
	}
	if after, _ := os.ReadFile(filepath.Join(out, ModelFile)); slices.Equal(before, after) {
		t.Error("the overwriting run (another seed) left the old model")
	}
}

// An interrupt file is never replaced by a less advanced one: here the
// default ./gozoo-interrupted.safetensors of a run without Out.
func TestInterruptNeverOverwritesAMoreAdvancedOne(t *testing.T) {
	t.Chdir(t.TempDir())
	e, err := New(irisSettings("", 3))
	if err != nil {
		t.Fatal(err)
	}
	first := interrupt(t, e, 16) // epoch 3, batch 2
	if !first.Written || first.Path != DefaultInterruptedFile {
		t.Fatalf("first interrupt %+v", first)
	}
	saved, _ := os.ReadFile(DefaultInterruptedFile)
	e, err = New(irisSettings("", 3))
	if err != nil {
		t.Fatal(err)
	}
	second := interrupt(t, e, 5)
	var no *NotOverwrittenError
	if second.Written || !errors.As(second.SaveErr, &no) || no.Epoch != 2 || no.Step != 16 || no.OurStep != 5 {
		t.Fatalf("second interrupt %+v (%v), want NotOverwrittenError", second, second.SaveErr)
	}
	if !strings.Contains(second.Error(), "more advanced checkpoint (epoch 2, step 16) than this run (epoch 0, step 5)") {
		t.Errorf("message %q", second.Error())
	}
	if now, _ := os.ReadFile(DefaultInterruptedFile); !slices.Equal(saved, now) {
		t.Error("the less advanced interrupt replaced the file")
	}
	e, err = New(irisSettings("", 3))
	if err != nil {
		t.Fatal(err)
	}
	if third := interrupt(t, e, 18); !third.Written || third.SaveErr != nil {
		t.Errorf("a more advanced interrupt was not written: %+v", third)
	}
}

// Out keeps the last checkpoints; when the newest fails its checksum,
// Resume says so and continues from the one before, which (the run being
// deterministic) ends as the uninterrupted run does.
func TestResumeFallsBackFromADamagedCheckpoint(t *testing.T) {
	straight := t.TempDir()
	e, err := New(irisSettings(straight, 5))
	fit(t, e, err)
	for _, asFile := range []bool{false, true} {
		out := t.TempDir()
		e, err := New(irisSettings(out, 4))
		fit(t, e, err)
		for _, epoch := range []string{"3", "2"} {
			if _, err := os.Stat(filepath.Join(out, "checkpoint-"+epoch+".safetensors")); err != nil {
				t.Fatal(err)
			}
		}
		newest := filepath.Join(out, CheckpointFile)
		flipLastByte(t, newest)
		from := out
		if asFile {
			from = newest
		}
		r, err := Resume(from, 5, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.ResumedFrom != filepath.Join(out, "checkpoint-3.safetensors") || len(r.Skipped) != 1 ||
			r.Skipped[0].Path != newest || !errors.Is(r.Skipped[0].Err, modelfile.ErrChecksum) {
			t.Fatalf("resumed from %s, skipped %+v; want checkpoint-3 after a checksum error", r.ResumedFrom, r.Skipped)
		}
		if r.Settings.Out != out {
			t.Errorf("resumed run writes to %s, want %s", r.Settings.Out, out)
		}
		fit(t, r, nil)
		sameModel(t, filepath.Join(straight, ModelFile), filepath.Join(out, ModelFile))
	}
	// With every checkpoint damaged, the error names each.
	out := t.TempDir()
	e, err = New(irisSettings(out, 2))
	fit(t, e, err)
	flipLastByte(t, filepath.Join(out, CheckpointFile))
	flipLastByte(t, filepath.Join(out, "checkpoint-1.safetensors"))
	if _, err := Resume(out, 3, nil); err == nil || !strings.Contains(err.Error(), "no checkpoint loads") || strings.Count(err.Error(), "checksum") < 2 {
		t.Errorf("all damaged: %v", err)
	}
}

func flipLastByte(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)-1] ^= 0x40
	// Write a new file rather than in place: the kept copies are hard
	// links to earlier files, never to this one, but be safe.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// An Out folder that cannot take a file fails before any epoch trains.
func TestOutMustBeWritable(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("uses /proc")
	}
	e, err := New(irisSettings("/proc/self", 2))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	_, err = e.Fit(context.Background(), FitOptions{OnEpoch: func(EpochReport) error { t.Error("trained before checking Out"); return nil }})
	if err == nil || !strings.Contains(err.Error(), "out folder /proc/self is not writable") {
		t.Errorf("error %v", err)
	}
}

func jsonUnmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }
