package metrics

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Sentinel errors that callers may branch on with errors.Is.
var (
	// ErrEmpty reports an input with no samples.
	ErrEmpty = errors.New("metrics: empty input")
	// ErrLength reports inputs whose lengths disagree.
	ErrLength = errors.New("metrics: length mismatch")
	// ErrLabel reports a class label outside [0, classes) or an invalid class count.
	ErrLabel = errors.New("metrics: bad label")
	// ErrUndefined reports a metric that is undefined for the input, such as
	// ROC AUC when only one class is present.
	ErrUndefined = errors.New("metrics: undefined")
)

// Float is the element type of scores, probabilities and regression values.
type Float interface {
	float32 | float64
}

func checkPairs(what string, pred, truth int) error {
	if pred != truth {
		return fmt.Errorf("%w: %s has %d predictions and %d truth values", ErrLength, what, pred, truth)
	}
	if truth == 0 {
		return fmt.Errorf("%w: %s of no samples", ErrEmpty, what)
	}
	return nil
}

func checkClasses(what string, classes, least int) error {
	if classes < least {
		return fmt.Errorf("%w: %s needs at least %d classes, got %d", ErrLabel, what, least, classes)
	}
	return nil
}

func checkLabels(what, name string, labels []int, classes int) error {
	for i, l := range labels {
		if l < 0 || l >= classes {
			return fmt.Errorf("%w: %s: %s label %d at index %d is outside [0, %d)", ErrLabel, what, name, l, i, classes)
		}
	}
	return nil
}

// checkScores validates a row-major score matrix against the truth labels.
func checkScores[F Float](what string, scores []F, classes int, truth []int) error {
	if err := checkClasses(what, classes, 2); err != nil {
		return err
	}
	if len(truth) == 0 {
		return fmt.Errorf("%w: %s of no samples", ErrEmpty, what)
	}
	// Division, not len(truth)*classes, which can wrap around to len(scores).
	if len(scores)%classes != 0 || len(scores)/classes != len(truth) {
		want := "more than an int holds"
		if classes <= math.MaxInt/len(truth) {
			want = strconv.Itoa(len(truth) * classes)
		}
		return fmt.Errorf("%w: %s has %d scores, want %d samples x %d classes = %s",
			ErrLength, what, len(scores), len(truth), classes, want)
	}
	for i, s := range scores {
		if math.IsNaN(float64(s)) {
			return fmt.Errorf("%w: %s: score %d of sample %d is NaN", ErrUndefined, what, i%classes, i/classes)
		}
	}
	return checkLabels(what, "truth", truth, classes)
}
