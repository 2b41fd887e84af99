package metrics

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"slices"
	"strconv"
	"testing"
)

// fixtures mirrors testdata/sklearn_fixtures.json, written by
// scripts/sklearn_fixtures.py: inputs and scikit-learn's outputs.
type fixtures struct {
	SklearnVersion string              `json:"sklearn_version"`
	Classification []classifyFixture   `json:"classification"`
	Regression     []regressionFixture `json:"regression"`
}

type classifyFixture struct {
	Name           string             `json:"name"`
	Classes        int                `json:"classes"`
	Truth          []int              `json:"truth"`
	Pred           []int              `json:"pred"`
	Probs          []float64          `json:"probs"`
	Accuracy       float64            `json:"accuracy"`
	Confusion      [][]int            `json:"confusion"`
	Precision      []float64          `json:"precision"`
	Recall         []float64          `json:"recall"`
	F1             []float64          `json:"f1"`
	Support        []int              `json:"support"`
	Averages       map[string]Scores  `json:"averages"`
	LogLoss        float64            `json:"log_loss"`
	LogLossFloat32 float64            `json:"log_loss_float32"`
	Report         string             `json:"report"`
	TargetNames    []string           `json:"target_names"`
	ReportNamed    string             `json:"report_named"`
	ROCAUC         *float64           `json:"roc_auc"`
	ROCAUCOvR      *float64           `json:"roc_auc_ovr"`
	TopK           map[string]float64 `json:"top_k"`
}

type regressionFixture struct {
	Name  string    `json:"name"`
	Truth []float64 `json:"truth"`
	Pred  []float64 `json:"pred"`
	MSE   float64   `json:"mse"`
	RMSE  float64   `json:"rmse"`
	MAE   float64   `json:"mae"`
	R2    float64   `json:"r2"`
}

func loadFixtures(t *testing.T) fixtures {
	t.Helper()
	data, err := os.ReadFile("testdata/sklearn_fixtures.json")
	if err != nil {
		t.Fatal(err)
	}
	var f fixtures
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Classification) == 0 || len(f.Regression) == 0 || f.SklearnVersion == "" {
		t.Fatal("fixtures are incomplete")
	}
	return f
}

const goldenTol = 1e-9

// near reports whether got is within tol of want, relative above magnitude 1.
func near(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*max(1, math.Abs(want))
}

func checkNear(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if !near(got, want, tol) {
		t.Errorf("%s = %.17g, sklearn %.17g", what, got, want)
	}
}

func checkSlice(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s has %d values, sklearn %d", what, len(got), len(want))
	}
	for i := range got {
		checkNear(t, what+"["+strconv.Itoa(i)+"]", got[i], want[i], goldenTol)
	}
}

func checkScoresNear(t *testing.T, what string, got, want Scores) {
	t.Helper()
	checkNear(t, what+" precision", got.Precision, want.Precision, goldenTol)
	checkNear(t, what+" recall", got.Recall, want.Recall, goldenTol)
	checkNear(t, what+" F1", got.F1, want.F1, goldenTol)
}

func toFloat32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

func TestSklearnClassification(t *testing.T) {
	averages := map[string]Average{"macro": Macro, "micro": Micro, "weighted": Weighted}
	for _, c := range loadFixtures(t).Classification {
		t.Run(c.Name, func(t *testing.T) {
			if got := Argmax(c.Probs, c.Classes, nil); !slices.Equal(got, c.Pred) {
				t.Errorf("Argmax = %v, want %v", got, c.Pred)
			}
			acc, err := Accuracy(c.Pred, c.Truth)
			if err != nil {
				t.Fatal(err)
			}
			checkNear(t, "Accuracy", acc, c.Accuracy, goldenTol)

			m, err := ConfusionMatrix(c.Pred, c.Truth, c.Classes)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(m, c.Confusion, slices.Equal) {
				t.Errorf("ConfusionMatrix = %v, want %v", m, c.Confusion)
			}

			per, err := PrecisionRecallF1(c.Pred, c.Truth, c.Classes)
			if err != nil {
				t.Fatal(err)
			}
			checkSlice(t, "precision", per.Precision, c.Precision)
			checkSlice(t, "recall", per.Recall, c.Recall)
			checkSlice(t, "F1", per.F1, c.F1)
			if !slices.Equal(per.Support, c.Support) {
				t.Errorf("support = %v, want %v", per.Support, c.Support)
			}
			for name, avg := range averages {
				got, err := AveragedPrecisionRecallF1(c.Pred, c.Truth, c.Classes, avg)
				if err != nil {
					t.Fatal(err)
				}
				checkScoresNear(t, name, got, c.Averages[name])
			}

			ll, err := LogLoss(c.Probs, c.Classes, c.Truth)
			if err != nil {
				t.Fatal(err)
			}
			checkNear(t, "LogLoss float64", ll, c.LogLoss, goldenTol)
			// sklearn computes the float32 case in float32 arithmetic.
			ll32, err := LogLoss(toFloat32(c.Probs), c.Classes, c.Truth)
			if err != nil {
				t.Fatal(err)
			}
			checkNear(t, "LogLoss float32", ll32, c.LogLossFloat32, 1e-6)

			checkROC(t, c)
			for ks, want := range c.TopK {
				k, _ := strconv.Atoi(ks)
				got, err := TopKAccuracy(c.Probs, c.Classes, c.Truth, k)
				if err != nil {
					t.Fatal(err)
				}
				checkNear(t, "TopKAccuracy k="+ks, got, want, goldenTol)
			}
			checkReport(t, c)
		})
	}
}

func checkROC(t *testing.T, c classifyFixture) {
	t.Helper()
	var got float64
	var err error
	want := c.ROCAUCOvR
	if c.Classes == 2 {
		positive := make([]float64, len(c.Truth))
		for i := range positive {
			positive[i] = c.Probs[2*i+1]
		}
		got, err = ROCAUC(positive, c.Truth)
		want = c.ROCAUC
	} else {
		got, err = ROCAUCOneVsRest(c.Probs, c.Classes, c.Truth)
	}
	switch {
	case want == nil && !errors.Is(err, ErrUndefined):
		t.Errorf("ROC AUC = %v, %v; sklearn says undefined", got, err)
	case want != nil && err != nil:
		t.Errorf("ROC AUC: %v", err)
	case want != nil:
		checkNear(t, "ROC AUC", got, *want, goldenTol)
	}
}

// checkReport fills a streaming Confusion in two uneven batches and compares
// its report, numbers and text, with sklearn's.
func checkReport(t *testing.T, c classifyFixture) {
	t.Helper()
	conf, err := NewConfusion(c.Classes)
	if err != nil {
		t.Fatal(err)
	}
	cut := len(c.Pred) / 3
	if err := conf.Update(c.Pred[:cut], c.Truth[:cut]); err != nil {
		t.Fatal(err)
	}
	if err := conf.Update(c.Pred[cut:], c.Truth[cut:]); err != nil {
		t.Fatal(err)
	}
	if conf.Total() != len(c.Truth) {
		t.Errorf("Total = %d, want %d", conf.Total(), len(c.Truth))
	}
	if !slices.EqualFunc(conf.Matrix(), c.Confusion, slices.Equal) {
		t.Errorf("Matrix = %v, want %v", conf.Matrix(), c.Confusion)
	}
	checkNear(t, "Confusion.Accuracy", conf.Accuracy(), c.Accuracy, goldenTol)
	rep, err := conf.Report()
	if err != nil {
		t.Fatal(err)
	}
	checkNear(t, "Report.Accuracy", rep.Accuracy, c.Accuracy, goldenTol)
	checkScoresNear(t, "Report macro", rep.MacroAvg, c.Averages["macro"])
	checkScoresNear(t, "Report micro", rep.MicroAvg, c.Averages["micro"])
	checkScoresNear(t, "Report weighted", rep.WeightedAvg, c.Averages["weighted"])
	for k, cr := range rep.Classes {
		checkNear(t, "Report precision", cr.Precision, c.Precision[k], goldenTol)
		checkNear(t, "Report recall", cr.Recall, c.Recall[k], goldenTol)
		checkNear(t, "Report F1", cr.F1, c.F1[k], goldenTol)
		if cr.Support != c.Support[k] {
			t.Errorf("Report support[%d] = %d, want %d", k, cr.Support, c.Support[k])
		}
	}
	if got := rep.String(); got != c.Report {
		t.Errorf("Report text:\n%s\nsklearn:\n%s", got, c.Report)
	}
	if c.TargetNames != nil {
		named, err := rep.WithNames(c.TargetNames)
		if err != nil {
			t.Fatal(err)
		}
		if got := named.String(); got != c.ReportNamed {
			t.Errorf("named report text:\n%s\nsklearn:\n%s", got, c.ReportNamed)
		}
		if rep.Classes[0].Name != "0" {
			t.Errorf("WithNames changed the original report: %q", rep.Classes[0].Name)
		}
	}
	conf.Reset()
	if conf.Total() != 0 || conf.Accuracy() != 0 {
		t.Errorf("after Reset: total %d, accuracy %v", conf.Total(), conf.Accuracy())
	}
}

func TestSklearnRegression(t *testing.T) {
	for _, c := range loadFixtures(t).Regression {
		t.Run(c.Name, func(t *testing.T) {
			funcs := []struct {
				name string
				f    func(pred, truth []float64) (float64, error)
				want float64
			}{
				{"MSE", MSE[float64], c.MSE},
				{"RMSE", RMSE[float64], c.RMSE},
				{"MAE", MAE[float64], c.MAE},
				{"R2", R2[float64], c.R2},
			}
			for _, f := range funcs {
				got, err := f.f(c.Pred, c.Truth)
				if err != nil {
					t.Fatal(err)
				}
				checkNear(t, f.name, got, f.want, goldenTol)
			}

			// The streaming accumulator over float32 batches agrees with the
			// pure functions over the same float32 values.
			pred32, truth32 := toFloat32(c.Pred), toFloat32(c.Truth)
			var r Regression
			for start := 0; start < len(pred32); start += 3 {
				end := min(start+3, len(pred32))
				if err := r.Update(pred32[start:end], truth32[start:end]); err != nil {
					t.Fatal(err)
				}
			}
			if r.Count() != len(c.Truth) {
				t.Errorf("Count = %d, want %d", r.Count(), len(c.Truth))
			}
			stream := []struct {
				name string
				got  float64
				f    func(pred, truth []float32) (float64, error)
			}{
				{"MSE", r.MSE(), MSE[float32]},
				{"RMSE", r.RMSE(), RMSE[float32]},
				{"MAE", r.MAE(), MAE[float32]},
				{"R2", r.R2(), R2[float32]},
			}
			for _, s := range stream {
				want, err := s.f(pred32, truth32)
				if err != nil {
					t.Fatal(err)
				}
				checkNear(t, "streaming "+s.name, s.got, want, goldenTol)
			}
			r.Reset()
			if r.Count() != 0 || r.MSE() != 0 || r.R2() != 0 {
				t.Errorf("after Reset: count %d, MSE %v, R2 %v", r.Count(), r.MSE(), r.R2())
			}
		})
	}
}
