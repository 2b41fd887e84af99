package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"

	"github.com/gozoo/gozoo/io/csvdata"
	"github.com/gozoo/gozoo/io/loader"
	"github.com/gozoo/gozoo/io/mnist"
)

// inputSpec says where a model's data came from and how raw data becomes
// its input. It is saved in model files and checkpoints under the metadata
// key "input", so eval, predict and resume rebuild the same data.
type inputSpec struct {
	// Dataset is "mnist", "cifar10" or "csv".
	Dataset string `json:"dataset"`
	// Shape is the per-sample input shape.
	Shape []int `json:"shape"`
	// ClassNames name the classes of a classifier.
	ClassNames []string `json:"class_names,omitempty"`

	// Images: pixel/255 is normalised per channel as (v - Mean) / Std.
	Mean []float32 `json:"mean,omitempty"`
	Std  []float32 `json:"std,omitempty"`

	// Tables.
	CSV          string                `json:"csv,omitempty"` // file path or built-in name
	Target       string                `json:"target,omitempty"`
	Task         string                `json:"task,omitempty"` // classify or regress
	Split        float64               `json:"split,omitempty"`
	ValSplit     float64               `json:"val_split,omitempty"`
	SplitSeed    uint64                `json:"split_seed,omitempty"`
	Features     []string              `json:"features,omitempty"`
	Standardizer *csvdata.Standardizer `json:"standardizer,omitempty"`
	TargetScale  *targetScale          `json:"target_scale,omitempty"`
}

const keyInput = "input"

func (s *inputSpec) metadata() map[string]string {
	data, _ := json.Marshal(s) // plain fields only: cannot fail
	return map[string]string{keyInput: string(data)}
}

func specFromMetadata(meta map[string]string) (*inputSpec, error) {
	raw, ok := meta[keyInput]
	if !ok {
		return nil, fmt.Errorf("model file has no %q metadata: it was not written by gozoo train", keyInput)
	}
	var s inputSpec
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		return nil, fmt.Errorf("model file's %q metadata: %w", keyInput, err)
	}
	return &s, nil
}

// data is the datasets of a run. val, when set, is held out of the
// training data for validation (early stopping, schedules); otherwise the
// test set serves as validation data, as in the seed's snippets.
type data struct {
	train, val, test loader.Dataset
}

// validation returns the data Fit validates on.
func (d *data) validation() loader.Dataset {
	if d.val != nil {
		return d.val
	}
	return d.test
}

// loadData loads the data a spec describes. dir overrides the data folder of
// image datasets.
func loadData(spec *inputSpec, dir string) (*data, error) {
	switch spec.Dataset {
	case "mnist":
		return loadMNIST(spec, dir)
	case "cifar10":
		return loadCIFAR(spec, dir)
	case "csv":
		return loadCSV(spec)
	}
	return nil, fmt.Errorf("unknown dataset %q in model metadata", spec.Dataset)
}

func mnistSpec(shape []int) *inputSpec {
	names := make([]string, 10)
	for i := range names {
		names[i] = fmt.Sprint(i)
	}
	return &inputSpec{Dataset: "mnist", Shape: shape, ClassNames: names, Mean: []float32{0}, Std: []float32{1}}
}

func loadMNIST(spec *inputSpec, dir string) (*data, error) {
	train, test, err := mnist.LoadShaped(dir, spec.Shape)
	if err != nil {
		return nil, err
	}
	if len(spec.Mean) != 1 || len(spec.Std) != 1 {
		return nil, fmt.Errorf("mnist input needs one mean and one std, got %v and %v", spec.Mean, spec.Std)
	}
	d := &data{}
	for i, ds := range []*mnist.Dataset{train, test} {
		if ds, err = ds.WithNormalization(spec.Mean[0], spec.Std[0]); err != nil {
			return nil, err
		}
		if i == 0 {
			d.train = ds
		} else {
			d.test = ds
		}
	}
	return d, nil
}

// csvSpec loads a table for training and fits the preprocessing on its
// training split.
func csvSpec(source, target, task string, split, valSplit float64, seed uint64) (*inputSpec, error) {
	if !(split > 0 && split < 1) {
		return nil, fmt.Errorf("-split must be between 0 and 1, got %v", split)
	}
	if !(valSplit >= 0 && valSplit < 1) {
		return nil, fmt.Errorf("-val-split must be at least 0 and below 1, got %v", valSplit)
	}
	spec := &inputSpec{Dataset: "csv", CSV: source, Target: target, Task: task, Split: split, ValSplit: valSplit, SplitSeed: seed}
	train, _, _, err := splitTable(spec)
	if err != nil {
		return nil, err
	}
	std, err := csvdata.FitStandardizer(train)
	if err != nil {
		return nil, err
	}
	spec.Standardizer = &std
	spec.Features = train.FeatureNames
	spec.Shape = []int{len(train.FeatureNames)}
	spec.Task = train.Task.String()
	if train.Task == csvdata.Classify {
		spec.ClassNames = train.ClassNames
	} else {
		spec.TargetScale = fitTargetScale(train.Y)
	}
	return spec, nil
}

func readTable(spec *inputSpec) (*csvdata.Table, error) {
	task, err := csvdata.ParseTask(spec.Task)
	if err != nil {
		return nil, err
	}
	opts := csvdata.Options{Target: spec.Target, Task: task}
	if _, err := csvdata.Builtin(spec.CSV); err == nil {
		if _, statErr := os.Stat(spec.CSV); statErr != nil {
			return csvdata.LoadBuiltin(spec.CSV, opts)
		}
	}
	f, err := os.Open(spec.CSV)
	if err != nil {
		return nil, fmt.Errorf("-csv: %w (built-in tables: %v)", err, csvdata.BuiltinNames())
	}
	defer f.Close()
	return csvdata.Load(f, spec.CSV, opts)
}

// splitTable reads the table and splits it into training, validation (nil
// unless ValSplit > 0, taken from the training part) and test rows, the same
// way every time for the same spec.
func splitTable(spec *inputSpec) (train, val, test *csvdata.Table, err error) {
	t, err := readTable(spec)
	if err != nil {
		return nil, nil, nil, err
	}
	split := t.RandomSplit
	if t.Task == csvdata.Classify {
		split = t.StratifiedSplit
	}
	if train, test, err = split(spec.Split, spec.SplitSeed); err != nil {
		return nil, nil, nil, err
	}
	if spec.ValSplit > 0 {
		split = train.RandomSplit
		if t.Task == csvdata.Classify {
			split = train.StratifiedSplit
		}
		if train, val, err = split(spec.ValSplit, spec.SplitSeed+1); err != nil {
			return nil, nil, nil, fmt.Errorf("validation split: %w", err)
		}
	}
	return train, val, test, nil
}

func loadCSV(spec *inputSpec) (*data, error) {
	train, val, test, err := splitTable(spec)
	if err != nil {
		return nil, err
	}
	if spec.Standardizer == nil {
		return nil, fmt.Errorf("csv input has no standardizer")
	}
	if fmt.Sprint(train.FeatureNames) != fmt.Sprint(spec.Features) {
		return nil, fmt.Errorf("%s has features %v, the model was trained on %v", spec.CSV, train.FeatureNames, spec.Features)
	}
	d := &data{}
	dests := []*loader.Dataset{&d.train, &d.val, &d.test}
	for i, tbl := range []*csvdata.Table{train, val, test} {
		if tbl == nil {
			continue
		}
		if tbl.Task == csvdata.Classify {
			ds, err := tbl.ClassDataset(*spec.Standardizer)
			if err != nil {
				return nil, err
			}
			*dests[i] = ds
			continue
		}
		if spec.TargetScale == nil {
			return nil, fmt.Errorf("csv regression input has no target scale")
		}
		r, err := tbl.RegressionDataset(*spec.Standardizer)
		if err != nil {
			return nil, err
		}
		*dests[i] = &scaledTargets{Regression: r, scale: *spec.TargetScale}
	}
	return d, nil
}

// targetScale standardises regression targets so the MSE loss is in units
// of the target's spread; predictions are mapped back before metrics.
type targetScale struct {
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
}

func fitTargetScale(y []float64) *targetScale {
	var sum, ss float64
	for _, v := range y {
		sum += v
	}
	mean := sum / float64(len(y))
	for _, v := range y {
		ss += (v - mean) * (v - mean)
	}
	s := &targetScale{Mean: mean, Std: 1}
	if sd := math.Sqrt(ss / float64(len(y))); sd > 0 {
		s.Std = sd
	}
	return s
}

type scaledTargets struct {
	loader.Regression
	scale targetScale
}

func (s *scaledTargets) Target(i int, dst []float32) {
	s.Regression.Target(i, dst)
	for j := range dst {
		dst[j] = float32((float64(dst[j]) - s.scale.Mean) / s.scale.Std)
	}
}

// rawTarget is the unscaled target of sample i.
func (s *scaledTargets) rawTarget(i int) float32 {
	var v [1]float32
	s.Regression.Target(i, v[:])
	return v[0]
}
