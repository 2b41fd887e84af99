package metrics

import (
	"fmt"
	"math"
	"slices"
)

// LogLoss returns the mean cross-entropy of the true classes under probs, a
// row of classes probabilities per sample (binary tasks pass two columns).
// Like scikit-learn's log_loss (eps="auto", 1.2 and later), each probability
// is first clipped to [eps, 1-eps] with eps the machine epsilon of the element
// type (2^-23 for float32, 2^-52 for float64) and each row is then divided by
// its sum, so a row of values in (0, 1) that sums to 0.5 or 2 counts as the
// row divided by its sum.
// Because the clipping comes first, scores above 1 all count as 1-eps: pass
// probabilities (Softmax turns logits into them), not raw scores. The
// arithmetic is float64 either way.
func LogLoss[F Float](probs []F, classes int, truth []int) (float64, error) {
	if err := checkScores("log loss", probs, classes, truth); err != nil {
		return 0, err
	}
	eps := 0x1p-52
	if float64(F(1+0x1p-30)) == 1 { // F rounds like float32
		eps = 0x1p-23
	}
	clip := func(p F) float64 { return min(max(float64(p), eps), 1-eps) }
	loss := 0.0
	for i, t := range truth {
		sum := 0.0
		for _, p := range probs[i*classes : (i+1)*classes] {
			sum += clip(p)
		}
		loss -= math.Log(clip(probs[i*classes+t]) / sum)
	}
	return loss / float64(len(truth)), nil
}

// ROCAUC returns the area under the ROC curve of binary truth labels (0 or 1)
// ranked by scores, the score of class 1. Tied scores form one point of the
// curve and the area is the trapezoid rule over the distinct thresholds, as
// scikit-learn's roc_auc_score computes it. It returns ErrUndefined when the
// truth holds only one class.
func ROCAUC[F Float](scores []F, truth []int) (float64, error) {
	if err := checkPairs("ROC AUC", len(scores), len(truth)); err != nil {
		return 0, err
	}
	column := make([]float64, len(scores))
	for i, s := range scores {
		if math.IsNaN(float64(s)) {
			return 0, fmt.Errorf("%w: ROC AUC: score of sample %d is NaN", ErrUndefined, i)
		}
		column[i] = float64(s)
	}
	if err := checkLabels("ROC AUC", "truth", truth, 2); err != nil {
		return 0, err
	}
	auc, ok := binaryAUC(column, truth, 1, make([]int, len(truth)))
	if !ok {
		return 0, fmt.Errorf("%w: ROC AUC needs both classes in the truth", ErrUndefined)
	}
	return auc, nil
}

// ROCAUCOneVsRest returns the unweighted mean over classes of the binary ROC
// AUC of each class against all others, with scores a row of classes scores
// per sample; scikit-learn's roc_auc_score with multi_class="ovr" and
// average="macro" (which also insists that rows sum to 1; this does not). It
// returns ErrUndefined when a class never or always occurs in the truth.
func ROCAUCOneVsRest[F Float](scores []F, classes int, truth []int) (float64, error) {
	if err := checkScores("ROC AUC one-vs-rest", scores, classes, truth); err != nil {
		return 0, err
	}
	column := make([]float64, len(truth))
	order := make([]int, len(truth))
	sum := 0.0
	for k := 0; k < classes; k++ {
		for i := range column {
			column[i] = float64(scores[i*classes+k])
		}
		auc, ok := binaryAUC(column, truth, k, order)
		if !ok {
			return 0, fmt.Errorf("%w: ROC AUC one-vs-rest: class %d never or always occurs in the truth", ErrUndefined, k)
		}
		sum += auc
	}
	return sum / float64(classes), nil
}

// binaryAUC ranks samples by score and returns the ROC AUC of truth ==
// positive, or false when either side is empty. order is scratch space.
func binaryAUC(scores []float64, truth []int, positive int, order []int) (float64, bool) {
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return -cmpFloat(scores[a], scores[b]) })
	var tp, fp, prevTP, prevFP, area float64
	for i, idx := range order {
		if truth[idx] == positive {
			tp++
		} else {
			fp++
		}
		// A point of the curve closes at the last sample of each tie group.
		if i+1 == len(order) || scores[order[i+1]] != scores[idx] {
			area += (fp - prevFP) * (tp + prevTP) / 2
			prevTP, prevFP = tp, fp
		}
	}
	if tp == 0 || fp == 0 {
		return 0, false
	}
	return area / (tp * fp), true
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
