package metrics

import (
	"fmt"
	"math"
	"slices"
)

// Argmax returns, for each row of classes scores, the index of the largest
// score; ties go to the first maximum, like numpy.argmax. dst is reused when
// its capacity is large enough. Argmax returns nil when classes < 1 or
// len(scores) is not a multiple of classes.
func Argmax[F Float](scores []F, classes int, dst []int) []int {
	if classes < 1 || len(scores)%classes != 0 {
		return nil
	}
	n := len(scores) / classes
	if cap(dst) < n {
		dst = make([]int, n)
	}
	dst = dst[:n]
	for i := range dst {
		row := scores[i*classes : (i+1)*classes]
		best := 0
		for j, s := range row {
			if s > row[best] {
				best = j
			}
		}
		dst[i] = best
	}
	return dst
}

// Softmax turns each row of classes scores (logits, as a classifier's Predict
// returns them) into probabilities, subtracting the row maximum first so that
// large logits do not overflow. dst is reused when its capacity is large
// enough and may be scores itself. Softmax returns nil when classes < 1 or
// len(scores) is not a multiple of classes.
func Softmax[F Float](scores []F, classes int, dst []F) []F {
	if classes < 1 || len(scores)%classes != 0 {
		return nil
	}
	if cap(dst) < len(scores) {
		dst = make([]F, len(scores))
	}
	dst = dst[:len(scores)]
	for start := 0; start < len(scores); start += classes {
		row, out := scores[start:start+classes], dst[start:start+classes]
		top := slices.Max(row)
		sum := 0.0
		for j, s := range row {
			e := math.Exp(float64(s - top))
			out[j] = F(e)
			sum += e
		}
		for j := range out {
			out[j] = F(float64(out[j]) / sum)
		}
	}
	return dst
}

// Accuracy returns the fraction of predictions equal to the truth.
func Accuracy(pred, truth []int) (float64, error) {
	if err := checkPairs("accuracy", len(pred), len(truth)); err != nil {
		return 0, err
	}
	hits := 0
	for i, p := range pred {
		if p == truth[i] {
			hits++
		}
	}
	return float64(hits) / float64(len(truth)), nil
}

// TopKAccuracy returns the fraction of samples whose true class is among the k
// highest of its row of scores. Tied scores rank the higher class index first,
// as scikit-learn's top_k_accuracy_score does (a stable ascending sort,
// reversed). k >= classes gives 1.
func TopKAccuracy[F Float](scores []F, classes int, truth []int, k int) (float64, error) {
	if err := checkScores("top-k accuracy", scores, classes, truth); err != nil {
		return 0, err
	}
	if k < 1 {
		return 0, fmt.Errorf("%w: top-k accuracy needs k >= 1, got %d", ErrLabel, k)
	}
	hits := 0
	for i, t := range truth {
		row := scores[i*classes : (i+1)*classes]
		rank := 0 // classes ranked above the true one
		for j, s := range row {
			if s > row[t] || (s == row[t] && j > t) {
				rank++
			}
		}
		if rank < k {
			hits++
		}
	}
	return float64(hits) / float64(len(truth)), nil
}

// ConfusionMatrix returns the classes x classes matrix of counts whose row is
// the true class and whose column is the predicted class, like scikit-learn's
// confusion_matrix.
func ConfusionMatrix(pred, truth []int, classes int) ([][]int, error) {
	c, err := confusionOf("confusion matrix", pred, truth, classes)
	if err != nil {
		return nil, err
	}
	return c.Matrix(), nil
}

func confusionOf(what string, pred, truth []int, classes int) (*Confusion, error) {
	c, err := NewConfusion(classes)
	if err != nil {
		return nil, err
	}
	return c, c.update(what, pred, truth)
}

// Average selects how per-class precision, recall and F1 are combined.
type Average int

// The averages of scikit-learn's precision_recall_fscore_support.
const (
	// Macro is the unweighted mean over all classes.
	Macro Average = iota + 1
	// Micro counts true positives, predictions and support over all classes
	// together; for single-label data it equals the accuracy.
	Micro
	// Weighted is the mean over classes weighted by their support.
	Weighted
)

// String returns "macro", "micro" or "weighted".
func (a Average) String() string {
	switch a {
	case Macro:
		return "macro"
	case Micro:
		return "micro"
	case Weighted:
		return "weighted"
	}
	return fmt.Sprintf("Average(%d)", int(a))
}

// Scores holds precision, recall and F1.
type Scores struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1_score"`
}

// ClassScores holds per-class precision, recall, F1 and support (the number
// of samples of each class in the truth), indexed by class.
type ClassScores struct {
	Precision []float64
	Recall    []float64
	F1        []float64
	Support   []int
}

// PrecisionRecallF1 returns per-class precision, recall, F1 and support.
func PrecisionRecallF1(pred, truth []int, classes int) (ClassScores, error) {
	c, err := confusionOf("precision/recall/F1", pred, truth, classes)
	if err != nil {
		return ClassScores{}, err
	}
	var s ClassScores
	for k := 0; k < classes; k++ {
		cs := c.class(k)
		s.Precision = append(s.Precision, cs.Precision)
		s.Recall = append(s.Recall, cs.Recall)
		s.F1 = append(s.F1, cs.F1)
		s.Support = append(s.Support, cs.Support)
	}
	return s, nil
}

// AveragedPrecisionRecallF1 returns precision, recall and F1 combined over
// all classes in [0, classes) by the given average.
func AveragedPrecisionRecallF1(pred, truth []int, classes int, average Average) (Scores, error) {
	if average < Macro || average > Weighted {
		return Scores{}, fmt.Errorf("metrics: unknown average %v", average)
	}
	c, err := confusionOf("precision/recall/F1", pred, truth, classes)
	if err != nil {
		return Scores{}, err
	}
	return c.average(average), nil
}

// ratio is num/den, or 0 when den is 0 (scikit-learn's zero_division=0).
func ratio(num, den float64) float64 {
	if den == 0 {
		return 0
	}
	return num / den
}

// f1 is the harmonic mean of precision and recall, 0 when both are 0.
func f1(precision, recall float64) float64 {
	return ratio(2*precision*recall, precision+recall)
}
