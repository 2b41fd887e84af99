package metrics

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestMean(t *testing.T) {
	type add struct {
		value  float64
		weight int
	}
	tests := []struct {
		name      string
		adds      []add
		wantValue float64
		wantCount int
	}{
		{"empty", nil, 0, 0},
		{"one", []add{{2.5, 1}}, 2.5, 1},
		{"weighted by batch size", []add{{1, 3}, {2, 1}}, 1.25, 4},
		{"zero and negative weights ignored", []add{{4, 2}, {100, 0}, {100, -3}}, 4, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m Mean
			for _, a := range tt.adds {
				m.Add(a.value, a.weight)
			}
			if m.Value() != tt.wantValue || m.Count() != tt.wantCount {
				t.Errorf("Value, Count = %v, %d; want %v, %d", m.Value(), m.Count(), tt.wantValue, tt.wantCount)
			}
			m.Reset()
			if m.Value() != 0 || m.Count() != 0 {
				t.Errorf("after Reset: %v, %d", m.Value(), m.Count())
			}
		})
	}
}

func TestArgmax(t *testing.T) {
	tests := []struct {
		name    string
		scores  []float32
		classes int
		want    []int
	}{
		{"rows", []float32{0.1, 0.7, 0.2, 0.5, 0.2, 0.3}, 3, []int{1, 0}},
		{"ties take the first maximum", []float32{0.4, 0.4, 0.2, 1, 3, 3}, 3, []int{0, 1}},
		{"one class", []float32{5, -1}, 1, []int{0, 0}},
		{"empty", nil, 3, nil},
		{"ragged scores", []float32{1, 2, 3}, 2, nil},
		{"no classes", []float32{1, 2}, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Argmax(tt.scores, tt.classes, nil)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Argmax = %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("reuses dst", func(t *testing.T) {
		dst := make([]int, 1, 8)
		got := Argmax([]float64{1, 2, 4, 3}, 2, dst)
		if &got[0] != &dst[0] || !slices.Equal(got, []int{1, 0}) {
			t.Errorf("Argmax = %v, did not reuse dst", got)
		}
	})
}

func TestROCAUCTies(t *testing.T) {
	// Hand-computed: one positive and one negative tied at 0.5 count half.
	tests := []struct {
		name   string
		scores []float64
		truth  []int
		want   float64
	}{
		{"perfect", []float64{0.1, 0.9}, []int{0, 1}, 1},
		{"reversed", []float64{0.9, 0.1}, []int{0, 1}, 0},
		{"all tied", []float64{0.5, 0.5, 0.5}, []int{0, 1, 1}, 0.5},
		{"one tie of four pairs", []float64{0.2, 0.5, 0.5, 0.8}, []int{0, 0, 1, 1}, 0.875},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ROCAUC(tt.scores, tt.truth)
			if err != nil || got != tt.want {
				t.Errorf("ROCAUC = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name string
		call func() error
		want error
	}{
		{"accuracy empty", func() error { _, err := Accuracy(nil, nil); return err }, ErrEmpty},
		{"accuracy lengths", func() error { _, err := Accuracy([]int{1}, []int{1, 2}); return err }, ErrLength},
		{"confusion classes", func() error { _, err := NewConfusion(0); return err }, ErrLabel},
		{"confusion matrix label", func() error { _, err := ConfusionMatrix([]int{3}, []int{0}, 3); return err }, ErrLabel},
		{"confusion matrix negative", func() error { _, err := ConfusionMatrix([]int{0}, []int{-1}, 3); return err }, ErrLabel},
		{"precision lengths", func() error { _, err := PrecisionRecallF1([]int{0, 1}, []int{0}, 2); return err }, ErrLength},
		{"averaged empty", func() error { _, err := AveragedPrecisionRecallF1(nil, nil, 2, Macro); return err }, ErrEmpty},
		{"averaged unknown", func() error { _, err := AveragedPrecisionRecallF1([]int{0}, []int{0}, 2, Average(9)); return err }, nil},
		{"top-k k", func() error { _, err := TopKAccuracy([]float32{0.5, 0.5}, 2, []int{0}, 0); return err }, ErrLabel},
		{"top-k scores", func() error { _, err := TopKAccuracy([]float32{0.5}, 2, []int{0}, 1); return err }, ErrLength},
		{"log loss one class", func() error { _, err := LogLoss([]float64{1}, 1, []int{0}); return err }, ErrLabel},
		{"log loss truth", func() error { _, err := LogLoss([]float64{0.5, 0.5}, 2, []int{2}); return err }, ErrLabel},
		{"log loss NaN", func() error { _, err := LogLoss([]float64{nan, 0.5}, 2, []int{0}); return err }, ErrUndefined},
		{"log loss empty", func() error { _, err := LogLoss([]float64{}, 2, nil); return err }, ErrEmpty},
		// 4 samples x 2^62 classes wraps to 0 scores; it used to pass the
		// length check and panic (found by FuzzMetrics).
		{"log loss wrapping size", func() error { _, err := LogLoss([]float64{}, 1<<62, []int{0, 1, 2, 3}); return err }, ErrLength},
		{"OvR wrapping size", func() error { _, err := ROCAUCOneVsRest([]float64{}, 1<<62, []int{0, 1, 2, 3}); return err }, ErrLength},
		{"top-k wrapping size", func() error { _, err := TopKAccuracy([]float64{}, 1<<62, []int{0, 1, 2, 3}, 1); return err }, ErrLength},
		{"confusion too many classes", func() error { _, err := NewConfusion(MaxConfusionClasses + 1); return err }, ErrLabel},
		{"confusion matrix squared overflow", func() error { _, err := ConfusionMatrix([]int{0}, []int{0}, 1<<32); return err }, ErrLabel},
		{"ROC one class", func() error { _, err := ROCAUC([]float64{0.1, 0.2}, []int{1, 1}); return err }, ErrUndefined},
		{"ROC label", func() error { _, err := ROCAUC([]float64{0.1, 0.2}, []int{0, 2}); return err }, ErrLabel},
		{"ROC NaN", func() error { _, err := ROCAUC([]float64{nan, 0.2}, []int{0, 1}); return err }, ErrUndefined},
		{"ROC lengths", func() error { _, err := ROCAUC([]float64{0.1}, []int{0, 1}); return err }, ErrLength},
		{"OvR absent class", func() error {
			_, err := ROCAUCOneVsRest([]float64{0.5, 0.3, 0.2, 0.1, 0.8, 0.1}, 3, []int{0, 1})
			return err
		}, ErrUndefined},
		{"MSE empty", func() error { _, err := MSE([]float64{}, nil); return err }, ErrEmpty},
		{"RMSE lengths", func() error { _, err := RMSE([]float64{1}, []float64{1, 2}); return err }, ErrLength},
		{"MAE lengths", func() error { _, err := MAE([]float32{1, 2}, []float32{1}); return err }, ErrLength},
		{"R2 empty", func() error { _, err := R2([]float32{}, []float32{}); return err }, ErrEmpty},
		{"regression update", func() error { var r Regression; return r.Update([]float32{1}, nil) }, ErrLength},
		{"report empty", func() error { c, _ := NewConfusion(2); _, err := c.Report(); return err }, ErrEmpty},
		{"report names", func() error { _, err := (Report{Classes: make([]ClassReport, 2)}).WithNames([]string{"a"}); return err }, ErrLength},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if err == nil {
				t.Fatal("no error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %q is not %q", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "metrics: ") {
				t.Errorf("error %q does not name the package", err)
			}
		})
	}
}

func TestConfusionUpdateErrorChangesNothing(t *testing.T) {
	c, err := NewConfusion(2)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Update([]int{0, 1}, []int{0, 0}); err != nil {
		t.Fatal(err)
	}
	if err := c.Update([]int{0, 5}, []int{1, 1}); err == nil {
		t.Fatal("label 5 accepted")
	}
	if c.Total() != 2 || !slices.EqualFunc(c.Matrix(), [][]int{{1, 1}, {0, 0}}, slices.Equal) {
		t.Errorf("failed update changed counts: total %d, matrix %v", c.Total(), c.Matrix())
	}
	c.Matrix()[0][0] = 99
	if c.Matrix()[0][0] != 1 {
		t.Error("Matrix does not return a copy")
	}
}

func TestReportJSON(t *testing.T) {
	c, err := NewConfusion(2)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Update([]int{0, 1, 1}, []int{0, 1, 0}); err != nil {
		t.Fatal(err)
	}
	rep, err := c.Report()
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"classes"`, `"macro_avg"`, `"micro_avg"`, `"weighted_avg"`, `"f1_score"`, `"support"`, `"predicted"`, `"accuracy"`} {
		if !strings.Contains(string(data), key) {
			t.Errorf("JSON %s lacks %s", data, key)
		}
	}
	var back Report
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if back.String() != rep.String() {
		t.Errorf("report changed in a JSON round trip:\n%s\n%s", back, rep)
	}
}

func TestAverageString(t *testing.T) {
	for a, want := range map[Average]string{Macro: "macro", Micro: "micro", Weighted: "weighted", 0: "Average(0)"} {
		if a.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(a), a.String(), want)
		}
	}
}

func TestSoftmax(t *testing.T) {
	tests := []struct {
		name    string
		scores  []float64
		classes int
		want    []float64
	}{
		{"uniform", []float64{3, 3}, 2, []float64{0.5, 0.5}},
		{"log probabilities", []float64{math.Log(0.2), math.Log(0.3), math.Log(0.5)}, 3, []float64{0.2, 0.3, 0.5}},
		{"large logits", []float64{1000, 1000 + math.Log(3), -5, -5}, 2, []float64{0.25, 0.75, 0.5, 0.5}},
		{"ragged", []float64{1, 2, 3}, 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Softmax(tt.scores, tt.classes, nil)
			if len(got) != len(tt.want) || (got == nil) != (tt.want == nil) {
				t.Fatalf("Softmax = %v, want %v", got, tt.want)
			}
			for i := range got {
				if !near(got[i], tt.want[i], 1e-12) {
					t.Errorf("Softmax = %v, want %v", got, tt.want)
				}
			}
		})
	}
	t.Run("in place float32", func(t *testing.T) {
		s := []float32{0, 0, 0, 0}
		got := Softmax(s, 4, s)
		if &got[0] != &s[0] || s[3] != 0.25 {
			t.Errorf("Softmax in place = %v", s)
		}
	})
}
