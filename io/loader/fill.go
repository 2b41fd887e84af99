package loader

import (
	"fmt"
	"math"
)

// FillInputs writes the inputs of the samples in indices one after another
// into dst, whose length must be len(indices) times the product of
// ds.InputShape(). It does not allocate if InputShape does not.
func FillInputs(ds Dataset, indices []int, dst []float32) error {
	size, err := inputSize(ds.InputShape())
	if err != nil {
		return err
	}
	if err := check(ds, indices, len(dst), size, "inputs"); err != nil {
		return err
	}
	for k, i := range indices {
		ds.Input(i, dst[k*size:(k+1)*size])
	}
	return nil
}

// FillOneHot writes the labels of the samples in indices into dst as one-hot
// rows of ds.Classes() values: dst is zeroed, then dst[k*Classes+label] = 1.
func FillOneHot(ds Classified, indices []int, dst []float32) error {
	classes := ds.Classes()
	if err := check(ds, indices, len(dst), classes, "one-hot labels"); err != nil {
		return err
	}
	clear(dst)
	for k, i := range indices {
		label := ds.Label(i)
		if label < 0 || label >= classes {
			return fmt.Errorf("loader: sample %d has label %d, want 0 to %d", i, label, classes-1)
		}
		dst[k*classes+label] = 1
	}
	return nil
}

// FillLabels writes the labels of the samples in indices into dst, whose
// length must be len(indices).
func FillLabels(ds Classified, indices []int, dst []int) error {
	if err := check(ds, indices, len(dst), 1, "labels"); err != nil {
		return err
	}
	for k, i := range indices {
		dst[k] = ds.Label(i)
	}
	return nil
}

// FillTargets writes the targets of the samples in indices one after
// another into dst, whose length must be len(indices)*ds.TargetSize().
func FillTargets(ds Regression, indices []int, dst []float32) error {
	size := ds.TargetSize()
	if err := check(ds, indices, len(dst), size, "targets"); err != nil {
		return err
	}
	for k, i := range indices {
		ds.Target(i, dst[k*size:(k+1)*size])
	}
	return nil
}

// inputSize is the number of values in one input of the given shape.
func inputSize(shape []int) (int, error) {
	if len(shape) == 0 {
		return 0, fmt.Errorf("loader: dataset has an empty input shape")
	}
	size := 1
	for _, s := range shape {
		if s <= 0 || size > math.MaxInt/s {
			return 0, fmt.Errorf("loader: dataset input shape %v is not a positive size", shape)
		}
		size *= s
	}
	return size, nil
}

// check verifies that dst holds exactly len(indices)*size values and that
// every index is a sample of ds.
func check(ds Dataset, indices []int, dstLen, size int, what string) error {
	if size <= 0 {
		return fmt.Errorf("loader: dataset has %d values per sample for %s", size, what)
	}
	// Division, not len(indices)*size, which could overflow.
	if dstLen%size != 0 || dstLen/size != len(indices) {
		return fmt.Errorf("loader: buffer for %s holds %d values, want %d samples x %d",
			what, dstLen, len(indices), size)
	}
	n := ds.Len()
	for _, i := range indices {
		if i < 0 || i >= n {
			return fmt.Errorf("loader: sample index %d out of range for a dataset of %d", i, n)
		}
	}
	return nil
}
