package experiment

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/zoo"
)

func TestPresetSettingsFollowTheRecipe(t *testing.T) {
	for _, p := range zoo.Presets() {
		s, err := PresetSettings(p.Name)
		if err != nil {
			t.Fatal(err)
		}
		r := p.Recipe
		if s.Epochs != r.Epochs || s.BatchSize != r.BatchSize || s.Optimizer != r.Optimizer || s.LearningRate != r.LearningRate ||
			s.Schedule.Kind != r.Schedule || !reflect.DeepEqual(s.Augment, r.Augment) || s.Seed != 1 {
			t.Errorf("%s: settings %+v do not follow the recipe %+v", p.Name, s, r)
		}
		if err := s.Validate(); err != nil {
			t.Errorf("%s: %v", p.Name, err)
		}
	}
	if _, err := PresetSettings("resnet"); err == nil || !strings.Contains(err.Error(), `unknown model "resnet"`) {
		t.Errorf("unknown preset: %v", err)
	}
	s := TableSettings("iris")
	if s.Epochs != 300 || s.BatchSize != 16 || s.Optimizer != "adamw" || s.WeightDecay != 0.5 || s.EarlyStop != 20 || s.Table.ValSplit != 0.15 {
		t.Errorf("table settings %+v", s)
	}
}

func TestValidateNamesTheSetting(t *testing.T) {
	for _, tc := range []struct {
		edit    func(*Settings)
		setting string
	}{
		{func(s *Settings) { s.Epochs = 0 }, "epochs"},
		{func(s *Settings) { s.BatchSize = 1 << 20 }, "batch"},
		{func(s *Settings) { s.LearningRate = -1 }, "lr"},
		{func(s *Settings) { s.WeightDecay = -1 }, "weight-decay"},
		{func(s *Settings) { s.ClipNorm = -1 }, "clip-norm"},
		{func(s *Settings) { s.EarlyStop = -1 }, "early-stop"},
		{func(s *Settings) { s.Schedule = Schedule{Kind: "linear"} }, "schedule"},
		{func(s *Settings) { s.Schedule = Schedule{Kind: "step", Warmup: 2} }, "warmup"},
		{func(s *Settings) { s.Schedule = Schedule{Kind: "exp", StepSize: 2} }, "step-size"},
		{func(s *Settings) { s.Schedule = Schedule{Kind: "cosine", Gamma: 0.5} }, "gamma"},
		{func(s *Settings) { s.Hidden = []int{8, 0} }, "hidden"},
	} {
		s, _ := PresetSettings("mlp")
		tc.edit(&s)
		err := s.Validate()
		var se *SettingError
		if !errors.As(err, &se) || se.Setting != tc.setting {
			t.Errorf("error %v, want a SettingError for %s", err, tc.setting)
		}
	}
}

// A table run writes its files, resumes in its own folder, and refuses to
// change what the checkpoint fixes.
func TestTableRunAndResume(t *testing.T) {
	out := t.TempDir()
	s := TableSettings("iris")
	s.Epochs, s.EarlyStop, s.Out = 3, 0, out
	e, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	var lines []EpochReport
	res, err := e.Fit(context.Background(), FitOptions{OnEpoch: func(r EpochReport) error { lines = append(lines, r); return nil }})
	e.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 3 || lines[2].TestSamples != 30 || lines[2].ValLoss == 0 || res.ModelPath != filepath.Join(out, ModelFile) {
		t.Fatalf("reports %+v, result %+v", lines, res)
	}
	for _, f := range []string{ModelFile, CheckpointFile, HistoryJSONFile, HistoryCSVFile} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	if _, err := Resume(out, 5, func(s *Settings) { s.LearningRate = 0.1 }); err == nil || !strings.Contains(err.Error(), "lr cannot be changed on resume") {
		t.Errorf("changing the learning rate on resume: %v", err)
	}
	if _, err := Resume(out, 3, nil); err == nil || !strings.Contains(err.Error(), "already trained 3 epochs") {
		t.Errorf("resume to the epoch reached: %v", err)
	}
	r, err := Resume(filepath.Join(out, CheckpointFile), 4, func(s *Settings) { s.BatchSize = 8 })
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Settings.Out != out || r.Settings.BatchSize != 8 || r.Settings.Optimizer != "adamw" || r.Settings.LearningRate != 0.001 {
		t.Errorf("resumed settings %+v", r.Settings)
	}
	res, err = r.Fit(context.Background(), FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if last, _ := res.History.Last(); last.Epoch != 4 {
		t.Errorf("resumed run ended at epoch %d", last.Epoch)
	}
}

// A cancel before the first step has nothing to save and writes nothing.
func TestInterruptBeforeTheFirstStepWritesNothing(t *testing.T) {
	out := t.TempDir()
	s := TableSettings("iris")
	s.Out = out
	e, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = e.Fit(ctx, FitOptions{})
	var ie *InterruptedError
	if !errors.As(err, &ie) || ie.SaveErr != nil || ie.Written || ie.Path != "" {
		t.Fatalf("error %v (%+v), want an InterruptedError with nothing written", err, ie)
	}
	if _, err := os.Stat(filepath.Join(out, InterruptedFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an interrupt before any step wrote %s (%v)", InterruptedFile, err)
	}
}
