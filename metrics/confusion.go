package metrics

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Confusion is a streaming confusion matrix: Update it batch by batch, then
// read Accuracy, Matrix or a full Report. Rows are true classes and columns
// predicted classes, like scikit-learn's confusion_matrix.
type Confusion struct {
	classes int
	counts  []int // row-major classes x classes
	total   int
}

// MaxConfusionClasses is the largest number of classes a confusion matrix
// takes: its classes² counts then fill 2 GiB.
const MaxConfusionClasses = 1 << 14

// NewConfusion returns an empty confusion matrix for labels in [0, classes),
// at most MaxConfusionClasses of them.
func NewConfusion(classes int) (*Confusion, error) {
	if err := checkClasses("confusion matrix", classes, 1); err != nil {
		return nil, err
	}
	if classes > MaxConfusionClasses {
		return nil, fmt.Errorf("%w: confusion matrix of %d classes: at most %d", ErrLabel, classes, MaxConfusionClasses)
	}
	return &Confusion{classes: classes, counts: make([]int, classes*classes)}, nil
}

// Update counts one batch. It changes nothing and returns an error when the
// lengths differ or a label is outside [0, classes).
func (c *Confusion) Update(predicted, truth []int) error {
	return c.update("confusion update", predicted, truth)
}

func (c *Confusion) update(what string, pred, truth []int) error {
	if err := checkPairs(what, len(pred), len(truth)); err != nil {
		return err
	}
	if err := checkLabels(what, "predicted", pred, c.classes); err != nil {
		return err
	}
	if err := checkLabels(what, "truth", truth, c.classes); err != nil {
		return err
	}
	for i, p := range pred {
		c.counts[truth[i]*c.classes+p]++
	}
	c.total += len(pred)
	return nil
}

// Reset clears all counts.
func (c *Confusion) Reset() {
	clear(c.counts)
	c.total = 0
}

// Classes returns the number of classes.
func (c *Confusion) Classes() int { return c.classes }

// Matrix returns a copy of the counts, indexed [truth][predicted].
func (c *Confusion) Matrix() [][]int {
	m := make([][]int, c.classes)
	for t := range m {
		m[t] = append([]int(nil), c.counts[t*c.classes:(t+1)*c.classes]...)
	}
	return m
}

// Total returns the number of samples counted.
func (c *Confusion) Total() int { return c.total }

// Accuracy returns the fraction of samples on the diagonal, 0 when empty.
func (c *Confusion) Accuracy() float64 {
	hits := 0
	for k := 0; k < c.classes; k++ {
		hits += c.counts[k*c.classes+k]
	}
	return ratio(float64(hits), float64(c.total))
}

// class returns the scores of class k, named by its index.
func (c *Confusion) class(k int) ClassReport {
	r := ClassReport{Name: strconv.Itoa(k)}
	for j := 0; j < c.classes; j++ {
		r.Support += c.counts[k*c.classes+j]
		r.Predicted += c.counts[j*c.classes+k]
	}
	tp := float64(c.counts[k*c.classes+k])
	r.Precision = ratio(tp, float64(r.Predicted))
	r.Recall = ratio(tp, float64(r.Support))
	r.F1 = f1(r.Precision, r.Recall)
	return r
}

func (c *Confusion) average(a Average) Scores {
	var s Scores
	if a == Micro {
		// All classes take part, so micro precision and recall are both the
		// fraction of correct predictions.
		acc := c.Accuracy()
		return Scores{Precision: acc, Recall: acc, F1: f1(acc, acc)}
	}
	weightSum := 0.0
	for k := 0; k < c.classes; k++ {
		r := c.class(k)
		w := 1.0
		if a == Weighted {
			w = float64(r.Support)
		}
		s.Precision += w * r.Precision
		s.Recall += w * r.Recall
		s.F1 += w * r.F1
		weightSum += w
	}
	return Scores{
		Precision: ratio(s.Precision, weightSum),
		Recall:    ratio(s.Recall, weightSum),
		F1:        ratio(s.F1, weightSum),
	}
}

// ClassReport holds one class's line of a Report.
type ClassReport struct {
	Name      string  `json:"name"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1_score"`
	// Support is the number of samples of the class in the truth.
	Support int `json:"support"`
	// Predicted is the number of samples predicted as the class.
	Predicted int `json:"predicted"`
}

// Report is a classification report like scikit-learn's
// classification_report with labels=range(classes) and zero_division=0.
type Report struct {
	Classes     []ClassReport `json:"classes"`
	Accuracy    float64       `json:"accuracy"`
	MacroAvg    Scores        `json:"macro_avg"`
	MicroAvg    Scores        `json:"micro_avg"`
	WeightedAvg Scores        `json:"weighted_avg"`
	// Support is the number of samples.
	Support int `json:"support"`
}

// Report computes the classification report of the samples counted so far.
// Classes are named by their index; see Report.WithNames.
func (c *Confusion) Report() (Report, error) {
	if c.total == 0 {
		return Report{}, fmt.Errorf("%w: report of no samples", ErrEmpty)
	}
	r := Report{
		Accuracy:    c.Accuracy(),
		MacroAvg:    c.average(Macro),
		MicroAvg:    c.average(Micro),
		WeightedAvg: c.average(Weighted),
		Support:     c.total,
	}
	for k := 0; k < c.classes; k++ {
		r.Classes = append(r.Classes, c.class(k))
	}
	return r, nil
}

// WithNames returns a copy of the report whose classes carry the given names,
// one per class in index order.
func (r Report) WithNames(names []string) (Report, error) {
	if len(names) != len(r.Classes) {
		return Report{}, fmt.Errorf("%w: report has %d classes, got %d names", ErrLength, len(r.Classes), len(names))
	}
	r.Classes = append([]ClassReport(nil), r.Classes...)
	for i := range r.Classes {
		r.Classes[i].Name = names[i]
	}
	return r, nil
}

// String formats the report exactly like scikit-learn's classification_report
// text with digits=2. The micro average line reads "accuracy" when every class
// occurs in the truth or the predictions, and "micro avg" otherwise, as there.
func (r Report) String() string {
	const heading = "weighted avg"
	width := len(heading)
	microIsAccuracy := true
	for _, c := range r.Classes {
		width = max(width, utf8.RuneCountInString(c.Name))
		if c.Support == 0 && c.Predicted == 0 {
			microIsAccuracy = false
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%*s  %9s %9s %9s %9s\n\n", width, "", "precision", "recall", "f1-score", "support")
	line := func(name string, s Scores, support int) {
		fmt.Fprintf(&b, "%*s  %9.2f %9.2f %9.2f %9d\n", width, name, s.Precision, s.Recall, s.F1, support)
	}
	for _, c := range r.Classes {
		line(c.Name, Scores{Precision: c.Precision, Recall: c.Recall, F1: c.F1}, c.Support)
	}
	b.WriteString("\n")
	if microIsAccuracy {
		fmt.Fprintf(&b, "%*s  %9s %9s %9.2f %9d\n", width, "accuracy", "", "", r.Accuracy, r.Support)
	} else {
		line("micro avg", r.MicroAvg, r.Support)
	}
	line("macro avg", r.MacroAvg, r.Support)
	line(heading, r.WeightedAvg, r.Support)
	return b.String()
}
