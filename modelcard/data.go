package modelcard

import (
	"errors"
	"fmt"
	"os"

	"github.com/gozoo/gozoo/io/cifar10"
	"github.com/gozoo/gozoo/io/csvdata"
	"github.com/gozoo/gozoo/io/loader"
	"github.com/gozoo/gozoo/io/mnist"
)

// Data is the data a card names: training, validation (nil unless the card
// holds some out of the training rows) and test sets, each already in the
// model's input form.
type Data struct {
	Train, Val, Test loader.Dataset
}

// Validation returns the data to validate on during training: Val, or the
// test set when there is no separate validation split (as in the seed's
// snippets).
func (d *Data) Validation() loader.Dataset {
	if d.Val != nil {
		return d.Val
	}
	return d.Test
}

// Data loads the datasets the card names. dir is the folder of an image
// dataset; "" means, for MNIST, the copy in the Go module cache and, for
// Fashion-MNIST, FashionMNISTDir (Debian's package folder, then the
// download cache). Tables are read from the card's CSV source and split
// as they were for training.
func (c *Card) Data(dir string) (*Data, error) {
	if c == nil {
		return nil, errNoCard
	}
	switch c.Dataset {
	case MNISTDataset, FashionMNISTDataset:
		return c.idxData(dir)
	case CIFAR10Dataset:
		return c.cifarData(dir)
	case CSVDataset:
		return c.tableData()
	}
	return nil, fmt.Errorf("modelcard: dataset %q is not one gozoo can load (mnist, fashion-mnist, cifar10 or csv): evaluate it from Go with recipes.Evaluate on your own loader.Dataset", c.Dataset)
}

// idxData loads MNIST or Fashion-MNIST, which share the IDX layout and
// its reader.
func (c *Card) idxData(dir string) (*Data, error) {
	if len(c.Mean) != 1 || len(c.Std) != 1 {
		return nil, fmt.Errorf("modelcard: %s input needs one mean and one std, got %v and %v", c.Dataset, c.Mean, c.Std)
	}
	if dir == "" && c.Dataset == FashionMNISTDataset {
		var err error
		if dir, err = FashionMNISTDir(); err != nil {
			return nil, err
		}
	}
	train, test, err := mnist.LoadShaped(dir, c.Shape)
	if err != nil {
		return nil, err
	}
	if train, err = train.WithNormalization(c.Mean[0], c.Std[0]); err != nil {
		return nil, err
	}
	if test, err = test.WithNormalization(c.Mean[0], c.Std[0]); err != nil {
		return nil, err
	}
	return &Data{Train: train, Test: test}, nil
}

// CIFAR10 is the card of a model trained on CIFAR-10 in dir, with the
// per-channel normalisation fitted on its training set.
func CIFAR10(dir string) (*Card, error) {
	if dir == "" {
		return nil, fmt.Errorf("modelcard: CIFAR-10 needs the folder holding data_batch_*.bin and test_batch.bin")
	}
	train, _, err := cifar10.Load(dir)
	if err != nil {
		return nil, err
	}
	mean, std := train.ChannelStats()
	return &Card{Dataset: CIFAR10Dataset, Shape: []int{cifar10.Channels, 32, 32}, ClassNames: cifar10.ClassNames(),
		Mean: mean[:], Std: std[:]}, nil
}

func (c *Card) cifarData(dir string) (*Data, error) {
	if dir == "" {
		return nil, fmt.Errorf("modelcard: cifar10 data needs the folder holding data_batch_*.bin and test_batch.bin")
	}
	if len(c.Mean) != cifar10.Channels || len(c.Std) != cifar10.Channels {
		return nil, fmt.Errorf("modelcard: cifar10 input needs %d means and stds, got %v and %v", cifar10.Channels, c.Mean, c.Std)
	}
	train, test, err := cifar10.Load(dir)
	if err != nil {
		return nil, err
	}
	var mean, std [cifar10.Channels]float32
	copy(mean[:], c.Mean)
	copy(std[:], c.Std)
	if train, err = train.WithNormalization(mean, std); err != nil {
		return nil, err
	}
	if test, err = test.WithNormalization(mean, std); err != nil {
		return nil, err
	}
	return &Data{Train: train, Test: test}, nil
}

// TableSource says where a table comes from and how to split it.
type TableSource struct {
	// CSV is a file path or a built-in table name (csvdata.BuiltinNames).
	CSV string
	// Target is the target column; default the last.
	Target string
	// Task is "classify", "regress" or "auto" (the default: guessed from
	// the target column).
	Task string
	// Split is the fraction of rows held out for testing (stratified for
	// classification), in (0, 1).
	Split float64
	// ValSplit is the fraction of the training rows held out for
	// validation, in [0, 1).
	ValSplit float64
	// Seed fixes the splits.
	Seed uint64
}

// Table reads and splits a table and returns its card, with the
// standardiser (and, for regression, the target scale) fitted on the
// training rows only.
func Table(src TableSource) (*Card, error) {
	if !(src.Split > 0 && src.Split < 1) {
		return nil, fmt.Errorf("modelcard: test split must be between 0 and 1, got %v", src.Split)
	}
	if !(src.ValSplit >= 0 && src.ValSplit < 1) {
		return nil, fmt.Errorf("modelcard: validation split must be at least 0 and below 1, got %v", src.ValSplit)
	}
	if src.Task == "" {
		src.Task = "auto"
	}
	c := &Card{Dataset: CSVDataset, CSV: src.CSV, Target: src.Target, Task: src.Task, Split: src.Split, ValSplit: src.ValSplit, SplitSeed: src.Seed}
	train, _, _, err := c.splitTable()
	if err != nil {
		return nil, err
	}
	std, err := csvdata.FitStandardizer(train)
	if err != nil {
		return nil, err
	}
	c.Standardizer = &std
	c.Features = train.FeatureNames
	c.Shape = []int{len(train.FeatureNames)}
	c.Task = train.Task.String()
	if train.Task == csvdata.Classify {
		c.ClassNames = train.ClassNames
	} else {
		ys := make([]float64, len(train.Y))
		copy(ys, train.Y)
		c.TargetScale = FitTargetScale(ys)
	}
	return c, nil
}

func (c *Card) readTable() (*csvdata.Table, error) {
	task, err := csvdata.ParseTask(c.Task)
	if err != nil {
		return nil, err
	}
	opts := csvdata.Options{Target: c.Target, Task: task}
	st, statErr := os.Stat(c.CSV)
	if _, err := csvdata.Builtin(c.CSV); err == nil && statErr != nil {
		return csvdata.LoadBuiltin(c.CSV, opts)
	}
	if statErr != nil {
		return nil, fmt.Errorf("%w (built-in tables: %v)", statErr, csvdata.BuiltinNames())
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("modelcard: %s is not a regular file", c.CSV)
	}
	f, err := os.Open(c.CSV)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return csvdata.Load(f, c.CSV, opts)
}

// splitTable reads the table and splits it into training, validation (nil
// unless ValSplit > 0, taken from the training part) and test rows, the same
// way every time for the same card.
func (c *Card) splitTable() (train, val, test *csvdata.Table, err error) {
	t, err := c.readTable()
	if err != nil {
		return nil, nil, nil, err
	}
	split := t.RandomSplit
	if t.Task == csvdata.Classify {
		split = t.StratifiedSplit
	}
	if train, test, err = split(c.Split, c.SplitSeed); err != nil {
		return nil, nil, nil, splitError("test split", "rows", "testing", err)
	}
	if c.ValSplit > 0 {
		split = train.RandomSplit
		if t.Task == csvdata.Classify {
			split = train.StratifiedSplit
		}
		if train, val, err = split(c.ValSplit, c.SplitSeed+1); err != nil {
			return nil, nil, nil, splitError("validation split", "training rows", "validation", err)
		}
	}
	return train, val, test, nil
}

func (c *Card) tableData() (*Data, error) {
	train, val, test, err := c.splitTable()
	if err != nil {
		return nil, err
	}
	if c.Standardizer == nil {
		return nil, fmt.Errorf("modelcard: csv input has no standardizer")
	}
	if fmt.Sprint(train.FeatureNames) != fmt.Sprint(c.Features) {
		return nil, fmt.Errorf("modelcard: %s has features %v, the model was trained on %v", c.CSV, train.FeatureNames, c.Features)
	}
	d := &Data{}
	dests := []*loader.Dataset{&d.Train, &d.Val, &d.Test}
	for i, tbl := range []*csvdata.Table{train, val, test} {
		if tbl == nil {
			continue
		}
		if tbl.Task == csvdata.Classify {
			ds, err := tbl.ClassDataset(*c.Standardizer)
			if err != nil {
				return nil, err
			}
			*dests[i] = ds
			continue
		}
		if c.TargetScale == nil {
			return nil, fmt.Errorf("modelcard: csv regression input has no target scale")
		}
		r, err := tbl.RegressionDataset(*c.Standardizer)
		if err != nil {
			return nil, err
		}
		*dests[i] = &ScaledTargets{Regression: r, Scale: *c.TargetScale}
	}
	return d, nil
}

// ScaledTargets is a regression dataset whose targets are given in the
// model's units (Scale.Scale of the raw target); RawTarget gives the raw one.
type ScaledTargets struct {
	loader.Regression
	Scale TargetScale
}

// Target writes sample i's scaled target.
func (s *ScaledTargets) Target(i int, dst []float32) {
	s.Regression.Target(i, dst)
	for j := range dst {
		dst[j] = float32(s.Scale.Scale(float64(dst[j])))
	}
}

// RawTarget is the unscaled target of sample i.
func (s *ScaledTargets) RawTarget(i int) float32 {
	var v [1]float32
	s.Regression.Target(i, v[:])
	return v[0]
}

// splitError says which split of a table is too small for its rows, in
// the card's terms (test split, validation split).
func splitError(which, rows, part string, err error) error {
	var se *csvdata.SplitSizeError
	if !errors.As(err, &se) {
		return fmt.Errorf("modelcard: %s: %w", which, err)
	}
	return fmt.Errorf("modelcard: %s %v of the %d %s leaves %d for training and %d for %s; each needs at least %d rows",
		which, se.Fraction, se.Rows, rows, se.Train, se.Test, part, csvdata.MinPartRows)
}
