package csvdata

import (
	"fmt"
	"math"

	"github.com/gozoo/gozoo/io/loader"
)

// Standardizer scales each feature to zero mean and unit variance:
// (x - Mean) / Std. Fit it on the training split only, and store it with a
// model (it is plain JSON) to scale inputs the same way at prediction time.
// The zero value, with no Mean and Std, leaves features unchanged.
type Standardizer struct {
	Mean []float64 `json:"mean"`
	Std  []float64 `json:"std"`
}

// FitStandardizer returns the per-feature mean and population standard
// deviation (ddof 0, like scikit-learn's StandardScaler) of the table. A
// constant feature gets Std 1, so it maps to 0 rather than dividing by zero.
func FitStandardizer(train *Table) (Standardizer, error) {
	n, f := train.Len(), len(train.FeatureNames)
	if n == 0 || len(train.X) != n*f {
		return Standardizer{}, fmt.Errorf("csvdata: standardizer needs a table with rows, got %d values for %d features", len(train.X), f)
	}
	s := Standardizer{Mean: make([]float64, f), Std: make([]float64, f)}
	for j := 0; j < f; j++ {
		sum, constant := 0.0, true
		for i := 0; i < n; i++ {
			sum += train.X[i*f+j]
			constant = constant && train.X[i*f+j] == train.X[j]
		}
		mean := sum / float64(n)
		ss := 0.0
		for i := 0; i < n; i++ {
			d := train.X[i*f+j] - mean
			ss += d * d
		}
		s.Mean[j], s.Std[j] = mean, math.Sqrt(ss/float64(n))
		if constant || s.Std[j] == 0 {
			s.Std[j] = 1
		}
	}
	return s, nil
}

// Validate reports a standardizer that cannot scale features rows of the given
// width: lengths that disagree, or a Std that is not a positive finite number.
func (s Standardizer) Validate(features int) error {
	if len(s.Mean) == 0 && len(s.Std) == 0 {
		return nil
	}
	if len(s.Mean) != features || len(s.Std) != features {
		return fmt.Errorf("csvdata: standardizer has %d means and %d stds for %d features", len(s.Mean), len(s.Std), features)
	}
	for j, sd := range s.Std {
		if !(sd > 0) || math.IsInf(sd, 0) || math.IsNaN(s.Mean[j]) || math.IsInf(s.Mean[j], 0) {
			return fmt.Errorf("csvdata: standardizer feature %d has mean %v and std %v", j, s.Mean[j], sd)
		}
	}
	return nil
}

// Transform writes the scaled features of src into dst, which must have
// src's length.
func (s Standardizer) Transform(src []float64, dst []float32) error {
	if len(dst) != len(src) {
		return fmt.Errorf("csvdata: transform of %d features into %d values", len(src), len(dst))
	}
	if err := s.Validate(len(src)); err != nil {
		return err
	}
	s.scale(src, dst)
	return nil
}

// scale is Transform after validation.
func (s Standardizer) scale(src []float64, dst []float32) {
	for j, v := range src {
		if len(s.Mean) > 0 {
			v = (v - s.Mean[j]) / s.Std[j]
		}
		dst[j] = float32(v)
	}
}

// scaledFeatures checks that t holds the task and scales its features by s.
func (t *Table) scaledFeatures(s Standardizer, task Task) (features, error) {
	if t.Task != task {
		return features{}, fmt.Errorf("csvdata: %v dataset of a %v table", task, t.Task)
	}
	if err := t.validate(); err != nil {
		return features{}, err
	}
	width := len(t.FeatureNames)
	if err := s.Validate(width); err != nil {
		return features{}, err
	}
	x := make([]float32, t.Len()*width)
	for i := range t.Len() {
		s.scale(t.Row(i), x[i*width:(i+1)*width])
	}
	return features{x: x, width: width}, nil
}

// features holds standardized float32 features, shared by both dataset kinds.
type features struct {
	x     []float32
	width int
}

// Len returns the number of samples.
func (d *features) Len() int { return len(d.x) / d.width }

// InputShape returns [features].
func (d *features) InputShape() []int { return []int{d.width} }

// Input copies sample i's standardized features into dst.
func (d *features) Input(i int, dst []float32) { copy(dst, d.x[i*d.width:(i+1)*d.width]) }

// ClassDataset is a standardized classification table; it implements
// loader.Classified.
type ClassDataset struct {
	features
	labels []int
	names  []string
}

var _ loader.Classified = (*ClassDataset)(nil)

// Classes returns the number of classes.
func (d *ClassDataset) Classes() int { return len(d.names) }

// Label returns sample i's class index.
func (d *ClassDataset) Label(i int) int { return d.labels[i] }

// ClassNames returns the class names in index order.
func (d *ClassDataset) ClassNames() []string { return append([]string(nil), d.names...) }

// ClassDataset returns the table's rows scaled by s, as a loader.Classified.
func (t *Table) ClassDataset(s Standardizer) (*ClassDataset, error) {
	x, err := t.scaledFeatures(s, Classify)
	if err != nil {
		return nil, err
	}
	return &ClassDataset{features: x, labels: t.Labels, names: t.ClassNames}, nil
}

// RegressionDataset is a standardized regression table; it implements
// loader.Regression with one target per sample, left unscaled.
type RegressionDataset struct {
	features
	y []float32
}

var _ loader.Regression = (*RegressionDataset)(nil)

// TargetSize returns 1.
func (d *RegressionDataset) TargetSize() int { return 1 }

// Target writes sample i's target into dst[0].
func (d *RegressionDataset) Target(i int, dst []float32) { dst[0] = d.y[i] }

// RegressionDataset returns the table's rows scaled by s, as a
// loader.Regression.
func (t *Table) RegressionDataset(s Standardizer) (*RegressionDataset, error) {
	x, err := t.scaledFeatures(s, Regress)
	if err != nil {
		return nil, err
	}
	y := make([]float32, len(t.Y))
	for i, v := range t.Y {
		y[i] = float32(v)
	}
	return &RegressionDataset{features: x, y: y}, nil
}
