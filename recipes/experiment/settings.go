package experiment

import (
	"fmt"
	"math"

	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/recipes"
	"github.com/gozoo/gozoo/zoo"
)

// Settings describe a training run. PresetSettings and TableSettings fill
// them with a recipe's defaults; change what you need, then call New.
type Settings struct {
	// Model is a preset name (zoo.PresetNames). Unused with Table.
	Model string
	// Table, if set, trains an MLP on a table instead, with Hidden layer
	// widths (nil: zoo.TabularHidden of the task; empty: no hidden layer).
	// Its Seed is ignored: Seed fixes the split.
	Table  *modelcard.TableSource
	Hidden []int
	// Dataset is the dataset a preset trains on, one of its
	// zoo.Preset.Datasets (modelcard.MNISTDataset,
	// modelcard.FashionMNISTDataset, ...); "" means the preset's default.
	// It picks the card and the model's input shape, and the card records
	// it, so Resume and evaluation use the same data. Unused with Table
	// (an error if set); Resume takes it from the checkpoint's card.
	Dataset string
	// DataDir is the folder of an image dataset; "" means, for MNIST, the
	// copy in the Go module cache and, for Fashion-MNIST,
	// modelcard.FashionMNISTDir.
	DataDir string

	Epochs       int
	BatchSize    int
	Optimizer    string // an optim.KindNames name
	LearningRate float64
	WeightDecay  float64
	// ClipNorm, if positive, clips gradients to this global L2 norm.
	ClipNorm float64
	// Seed fixes the initial weights, the shuffling, dropout and the
	// table split.
	Seed uint64

	Schedule Schedule
	// EarlyStop is the patience of early stopping on Monitor, which then
	// restores the best weights (0: off).
	EarlyStop int
	Monitor   recipes.Metric
	// Augment, if set, augments the training images.
	Augment *zoo.Augmentation

	// Out, if set, is the folder for the checkpoint (after each epoch), the
	// history (history.json, history.csv) and the final model. A new run
	// (New, not Resume) refuses a folder that already holds a run
	// (*RunExistsError) unless Overwrite is set.
	Out string
	// Overwrite lets a new run write into an Out folder that holds an
	// earlier run: its files are replaced as the new run writes them, and
	// its older checkpoints and interrupt file are removed when training
	// starts, so that Resume cannot mistake them for the new run's.
	Overwrite bool
	// KeepCheckpoints is how many epoch checkpoints Out keeps: the newest
	// as checkpoint.safetensors and the ones before it as
	// checkpoint-EPOCH.safetensors, so that Resume can fall back when the
	// newest is damaged. 0 means DefaultKeepCheckpoints.
	KeepCheckpoints int
}

// DefaultKeepCheckpoints is KeepCheckpoints' default.
const DefaultKeepCheckpoints = 3

// Schedule is a learning-rate schedule.
type Schedule struct {
	// Kind is "none" (or ""), "step", "exp", "cosine" (per step, with
	// Warmup epochs of linear warm-up) or "plateau".
	Kind string `json:"schedule,omitempty"`
	// Warmup is in epochs (cosine only).
	Warmup int `json:"warmup,omitempty"`
	// StepSize is the epochs between decays (step only; 0: a third of the
	// epochs).
	StepSize int `json:"step_size,omitempty"`
	// Gamma is the decay factor (0: step 0.1, exp 0.9 per epoch, plateau
	// 0.1).
	Gamma float64 `json:"gamma,omitempty"`
}

// PresetSettings returns the settings of a preset with its recipe: what
// gozoo train -model NAME does with no other flags.
func PresetSettings(name string) (Settings, error) {
	p, err := zoo.PresetNamed(name)
	if err != nil {
		return Settings{}, err
	}
	return fromRecipe(Settings{Model: name, Seed: 1}, p.Recipe), nil
}

// TableSettings returns the settings of an MLP on the table at csv (a path
// or a built-in name) with the tabular recipe: what gozoo train -csv does
// with no other flags. The target is the last column; the task is guessed.
func TableSettings(csv string) Settings {
	r := zoo.TabularRecipe()
	return fromRecipe(Settings{Seed: 1, Table: &modelcard.TableSource{CSV: csv, Task: "auto", Split: 0.2, ValSplit: r.ValSplit}}, r)
}

func fromRecipe(s Settings, r zoo.Recipe) Settings {
	s.Epochs, s.BatchSize, s.Optimizer = r.Epochs, r.BatchSize, r.Optimizer
	s.LearningRate, s.WeightDecay = r.LearningRate, r.WeightDecay
	s.Schedule = Schedule{Kind: r.Schedule}
	s.EarlyStop, s.Augment = r.EarlyStop, r.Augment
	return s
}

// SettingError is a setting out of range. Setting is the flag-style name
// of the setting (epochs, batch, lr, weight-decay, clip-norm, early-stop,
// schedule, warmup, step-size, gamma, dataset).
type SettingError struct {
	Setting, Problem string
}

func (e *SettingError) Error() string { return "experiment: " + e.Setting + " " + e.Problem }

func settingErr(setting, format string, args ...any) error {
	return &SettingError{Setting: setting, Problem: fmt.Sprintf(format, args...)}
}

// Limits on settings, so that a typo cannot ask for a huge allocation.
const (
	MaxEpochs    = 100000
	MaxBatchSize = 65536
)

// Validate checks the settings' ranges.
func (s *Settings) Validate() error {
	switch {
	case s.Epochs <= 0 || s.Epochs > MaxEpochs:
		return settingErr("epochs", "must be between 1 and %d, got %d", MaxEpochs, s.Epochs)
	case s.BatchSize <= 0 || s.BatchSize > MaxBatchSize:
		return settingErr("batch", "must be between 1 and %d, got %d", MaxBatchSize, s.BatchSize)
	case !(s.LearningRate > 0) || math.IsInf(s.LearningRate, 0):
		return settingErr("lr", "must be a positive number, got %v", s.LearningRate)
	case s.WeightDecay < 0 || math.IsNaN(s.WeightDecay) || math.IsInf(s.WeightDecay, 0):
		return settingErr("weight-decay", "must be a non-negative number, got %v", s.WeightDecay)
	case s.ClipNorm < 0 || math.IsNaN(s.ClipNorm) || math.IsInf(s.ClipNorm, 0):
		return settingErr("clip-norm", "must be a non-negative number, got %v", s.ClipNorm)
	case s.EarlyStop < 0 || s.EarlyStop > MaxEpochs:
		return settingErr("early-stop", "must be between 0 and %d, got %d", MaxEpochs, s.EarlyStop)
	case s.KeepCheckpoints < 0 || s.KeepCheckpoints > 1000:
		return settingErr("keep", "must be between 0 and 1000, got %d", s.KeepCheckpoints)
	case s.Table != nil && s.Dataset != "":
		return settingErr("dataset", "does not apply to a table, which names its own data (%s)", s.Table.CSV)
	}
	if _, err := recipes.ParseMetric(s.Monitor.String()); err != nil {
		return settingErr("monitor", "%v", err)
	}
	for i, h := range s.Hidden {
		if h <= 0 || h > 1<<16 {
			return settingErr("hidden", "layer %d must have a width between 1 and 65536, got %d", i+1, h)
		}
	}
	return s.Schedule.validate()
}

func (sc Schedule) validate() error {
	switch sc.Kind {
	case "", "none", "step", "exp", "cosine", "plateau":
	default:
		return settingErr("schedule", "%q is unknown (want step, exp, cosine, plateau or none)", sc.Kind)
	}
	switch {
	case sc.Warmup < 0 || sc.StepSize < 0:
		return settingErr("warmup", "and step-size must not be negative")
	case sc.Warmup > 0 && sc.Kind != "cosine":
		return settingErr("warmup", "applies to schedule cosine only")
	case sc.StepSize > 0 && sc.Kind != "step":
		return settingErr("step-size", "applies to schedule step only")
	case sc.Gamma != 0 && (sc.Kind == "" || sc.Kind == "none" || sc.Kind == "cosine"):
		return settingErr("gamma", "applies to schedule step, exp or plateau only")
	case sc.Gamma < 0 || sc.Gamma >= 1 || math.IsNaN(sc.Gamma):
		return settingErr("gamma", "must be in (0, 1), got %v", sc.Gamma)
	}
	return nil
}
