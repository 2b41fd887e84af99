package loader

import (
	"fmt"
	"math/rand/v2"
)

// Subset returns a view of the samples of ds at indices, in that order:
// sample k of the view is sample indices[k] of ds. The view keeps its own
// copy of indices and reads ds, which must not change. When ds is a
// Classified or a Regression dataset, so is the view (assert the type to use
// it as one).
func Subset(ds Dataset, indices []int) (Dataset, error) {
	if ds == nil {
		return nil, fmt.Errorf("loader: subset of a nil dataset")
	}
	n := ds.Len()
	own := make([]int, len(indices))
	for k, i := range indices {
		if i < 0 || i >= n {
			return nil, fmt.Errorf("loader: subset index %d out of range for a dataset of %d", i, n)
		}
		own[k] = i
	}
	// A subset of a subset maps straight to the base dataset.
	if s, ok := unwrap(ds); ok {
		for k, i := range own {
			own[k] = s.indices[i]
		}
		ds = s.base
	}
	v := view{base: ds, indices: own}
	c, isClassified := ds.(Classified)
	r, isRegression := ds.(Regression)
	switch {
	case isClassified && isRegression:
		return &classifiedRegressionView{classifiedView: classifiedView{view: v, c: c}, r: r}, nil
	case isClassified:
		return &classifiedView{view: v, c: c}, nil
	case isRegression:
		return &regressionView{view: v, r: r}, nil
	}
	return &v, nil
}

// Split cuts ds into a view of n samples and a view of the other Len()-n,
// after shuffling with rng (nil keeps the order, so the first view holds the
// first n samples). Use it to hold out a validation set. Both views keep
// the Classified or Regression methods of ds.
func Split(ds Dataset, n int, rng *rand.Rand) (first, rest Dataset, err error) {
	if ds == nil {
		return nil, nil, fmt.Errorf("loader: split of a nil dataset")
	}
	if n < 0 || n > ds.Len() {
		return nil, nil, fmt.Errorf("loader: cannot split %d samples from a dataset of %d", n, ds.Len())
	}
	all := permutation(ds.Len(), rng)
	if first, err = Subset(ds, all[:n]); err != nil {
		return nil, nil, err
	}
	if rest, err = Subset(ds, all[n:]); err != nil {
		return nil, nil, err
	}
	return first, rest, nil
}

// view is a Subset of a plain Dataset; the other view types add the label
// and target methods.
type view struct {
	base    Dataset
	indices []int
}

func (v *view) Len() int                   { return len(v.indices) }
func (v *view) InputShape() []int          { return v.base.InputShape() }
func (v *view) Input(i int, dst []float32) { v.base.Input(v.indices[i], dst) }

type classifiedView struct {
	view
	c Classified
}

func (v *classifiedView) Classes() int    { return v.c.Classes() }
func (v *classifiedView) Label(i int) int { return v.c.Label(v.indices[i]) }

type regressionView struct {
	view
	r Regression
}

func (v *regressionView) TargetSize() int             { return v.r.TargetSize() }
func (v *regressionView) Target(i int, dst []float32) { v.r.Target(v.indices[i], dst) }

type classifiedRegressionView struct {
	classifiedView
	r Regression
}

func (v *classifiedRegressionView) TargetSize() int             { return v.r.TargetSize() }
func (v *classifiedRegressionView) Target(i int, dst []float32) { v.r.Target(v.indices[i], dst) }

// unwrap returns the view underneath a Subset result.
func unwrap(ds Dataset) (*view, bool) {
	switch v := ds.(type) {
	case *view:
		return v, true
	case *classifiedView:
		return &v.view, true
	case *regressionView:
		return &v.view, true
	case *classifiedRegressionView:
		return &v.view, true
	}
	return nil, false
}
