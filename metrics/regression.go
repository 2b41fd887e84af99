package metrics

import "math"

// MSE returns the mean squared error.
func MSE[F Float](pred, truth []F) (float64, error) {
	r, err := summarize("MSE", pred, truth)
	return r.MSE(), err
}

// RMSE returns the square root of the mean squared error.
func RMSE[F Float](pred, truth []F) (float64, error) {
	mse, err := MSE(pred, truth)
	return math.Sqrt(mse), err
}

// MAE returns the mean absolute error.
func MAE[F Float](pred, truth []F) (float64, error) {
	r, err := summarize("MAE", pred, truth)
	return r.MAE(), err
}

// R2 returns the coefficient of determination, 1 - SSres/SStot, which is
// negative for predictions worse than the mean of the truth. When the truth
// is constant (SStot = 0) it follows scikit-learn's r2_score with
// force_finite=True: 1 if every prediction is exact, else 0.
func R2[F Float](pred, truth []F) (float64, error) {
	r, err := summarize("R2", pred, truth)
	return r.R2(), err
}

func summarize[F Float](what string, pred, truth []F) (*Regression, error) {
	r := new(Regression)
	if err := checkPairs(what, len(pred), len(truth)); err != nil {
		return r, err
	}
	accumulate(r, pred, truth)
	return r, nil
}

// Regression accumulates regression metrics batch by batch. All values count
// as one output: a multi-output target is flattened. The zero value is empty.
type Regression struct {
	n        int
	sumSq    float64 // sum of squared errors
	sumAbs   float64 // sum of absolute errors
	mean     float64 // running mean of the truth (Welford)
	m2       float64 // running sum of squared deviations of the truth
	first    float64
	constant bool // every truth value so far equals first
}

// Update adds one batch. It changes nothing and returns an error when the
// lengths differ or the batch is empty.
func (r *Regression) Update(pred, truth []float32) error {
	if err := checkPairs("regression update", len(pred), len(truth)); err != nil {
		return err
	}
	accumulate(r, pred, truth)
	return nil
}

// accumulate adds pred and truth, which have equal lengths, to r.
func accumulate[F Float](r *Regression, pred, truth []F) {
	for i, p := range pred {
		y := float64(truth[i])
		e := float64(p) - y
		r.sumSq += e * e
		r.sumAbs += math.Abs(e)
		if r.n == 0 {
			r.first, r.constant = y, true
		}
		r.constant = r.constant && y == r.first
		r.n++
		d := y - r.mean
		r.mean += d / float64(r.n)
		r.m2 += d * (y - r.mean)
	}
}

// Count returns the number of values added.
func (r *Regression) Count() int { return r.n }

// MSE returns the mean squared error, 0 when empty.
func (r *Regression) MSE() float64 { return ratio(r.sumSq, float64(r.n)) }

// RMSE returns the root mean squared error, 0 when empty.
func (r *Regression) RMSE() float64 { return math.Sqrt(r.MSE()) }

// MAE returns the mean absolute error, 0 when empty.
func (r *Regression) MAE() float64 { return ratio(r.sumAbs, float64(r.n)) }

// R2 returns the coefficient of determination as the function R2 does, 0
// when empty.
func (r *Regression) R2() float64 {
	switch {
	case r.n == 0:
		return 0
	case r.constant || r.m2 == 0:
		if r.sumSq == 0 {
			return 1
		}
		return 0
	}
	return 1 - r.sumSq/r.m2
}

// Reset empties the accumulator.
func (r *Regression) Reset() { *r = Regression{} }
