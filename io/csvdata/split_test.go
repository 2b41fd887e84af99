package csvdata

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/io/loader"
)

// indexTable is a classification table whose single feature is the row index,
// so a split shows which rows went where. Class c has sizes[c] rows.
func indexTable(sizes ...int) *Table {
	t := &Table{FeatureNames: []string{"row"}, TargetName: "y", Task: Classify}
	for c, n := range sizes {
		t.ClassNames = append(t.ClassNames, string(rune('a'+c)))
		for range n {
			t.X = append(t.X, float64(len(t.Labels)))
			t.Labels = append(t.Labels, c)
		}
	}
	return t
}

func mustBuiltin(t *testing.T, name string) *Table {
	t.Helper()
	table, err := LoadBuiltin(name, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return table
}

// checkPartition fails unless train and test hold every row of a table of n
// rows exactly once, each in file order.
func checkPartition(t *testing.T, train, test *Table, n int) {
	t.Helper()
	if !slices.IsSorted(train.X) || !slices.IsSorted(test.X) {
		t.Error("split rows are not in file order")
	}
	all := slices.Sorted(slices.Values(append(slices.Clone(train.X), test.X...)))
	for i, v := range all {
		if v != float64(i) || len(all) != n {
			t.Fatalf("train and test are not a partition of %d rows: %v", n, all)
		}
	}
}

func TestStratifiedSplit(t *testing.T) {
	iris, cancer := mustBuiltin(t, "iris"), mustBuiltin(t, "breast-cancer")
	tests := []struct {
		name     string
		table    *Table
		fraction float64
	}{
		{"iris 0.2", iris, 0.2},
		{"iris 0.33", iris, 0.33},
		{"breast cancer 0.25", cancer, 0.25},
		{"uneven classes 0.3", indexTable(1, 7, 13, 2), 0.3},
		{"uneven classes 0.5", indexTable(3, 3, 5, 1, 9), 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			train, test, err := tt.table.StratifiedSplit(tt.fraction, 7)
			if err != nil {
				t.Fatal(err)
			}
			n := tt.table.Len()
			if want := int(math.Round(tt.fraction * float64(n))); test.Len() != want || train.Len() != n-want {
				t.Errorf("test %d, train %d rows; want %d test of %d", test.Len(), train.Len(), want, n)
			}
			all, inTest := classCounts(tt.table), classCounts(test)
			for c := range all {
				exact := float64(all[c]) * float64(test.Len()) / float64(n)
				if math.Abs(float64(inTest[c])-exact) >= 1 {
					t.Errorf("class %d: %d of %d rows in test, exact share %.2f", c, inTest[c], all[c], exact)
				}
			}
			again, againTest, err := tt.table.StratifiedSplit(tt.fraction, 7)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(again.X, train.X) || !slices.Equal(againTest.Labels, test.Labels) {
				t.Error("same seed gave a different split")
			}
		})
	}
	t.Run("partition and seeds", func(t *testing.T) {
		table := indexTable(40, 60)
		train1, test1, err := table.StratifiedSplit(0.2, 1)
		if err != nil {
			t.Fatal(err)
		}
		checkPartition(t, train1, test1, 100)
		_, test2, err := table.StratifiedSplit(0.2, 2)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Equal(test1.X, test2.X) {
			t.Error("seeds 1 and 2 gave the same test rows")
		}
	})
}

func TestRandomSplit(t *testing.T) {
	table := indexTable(10, 0, 25)
	train, test, err := table.RandomSplit(0.3, 3)
	if err != nil {
		t.Fatal(err)
	}
	if test.Len() != 11 || train.Len() != 24 {
		t.Errorf("test %d, train %d rows", test.Len(), train.Len())
	}
	checkPartition(t, train, test, 35)
	for i, v := range test.X { // labels follow their rows
		if want := table.Labels[int(v)]; test.Labels[i] != want {
			t.Errorf("row %v has label %d, want %d", v, test.Labels[i], want)
		}
	}
	_, again, err := table.RandomSplit(0.3, 3)
	if err != nil || !slices.Equal(again.X, test.X) {
		t.Errorf("same seed gave %v, want %v (%v)", again.X, test.X, err)
	}
	_, other, err := table.RandomSplit(0.3, 4)
	if err != nil || slices.Equal(other.X, test.X) {
		t.Errorf("seeds 3 and 4 gave the same test rows %v (%v)", other.X, err)
	}
}

func TestSplitErrors(t *testing.T) {
	diabetes := mustBuiltin(t, "diabetes")
	tests := []struct {
		name     string
		table    *Table
		fraction float64
		split    func(*Table, float64, uint64) (*Table, *Table, error)
		want     string
	}{
		{"zero fraction", indexTable(5, 5), 0, (*Table).RandomSplit, "outside (0, 1)"},
		{"whole table", indexTable(5, 5), 1, (*Table).StratifiedSplit, "outside (0, 1)"},
		{"NaN fraction", indexTable(5, 5), math.NaN(), (*Table).RandomSplit, "outside (0, 1)"},
		{"rounds to no test rows", indexTable(5, 5), 0.01, (*Table).StratifiedSplit, "leaves 10 training and 0 test rows; each part needs at least 2"},
		{"rounds to no train rows", indexTable(5, 5), 0.99, (*Table).RandomSplit, "leaves 0 training and 10 test rows"},
		{"one test row", indexTable(5, 5), 0.1, (*Table).RandomSplit, "test fraction 0.1 of 10 rows leaves 9 training and 1 test rows; each part needs at least 2"},
		{"one training row", indexTable(2, 1), 0.67, (*Table).RandomSplit, "leaves 1 training and 2 test rows"},
		{"one validation row, stratified", indexTable(2, 2), 0.75, (*Table).StratifiedSplit, "leaves 1 training and 3 test rows"},
		{"class left without training rows", indexTable(1, 9), 0.5, (*Table).StratifiedSplit,
			`stratified split of test fraction 0.5 puts all 1 rows of class "a" in the test part; each class needs a training row`},
		{"stratified regression", diabetes, 0.2, (*Table).StratifiedSplit, "needs a classification table"},
		{"empty table", &Table{}, 0.5, (*Table).RandomSplit, "table task is auto"},
		{"no rows", indexTable(0), 0.5, (*Table).RandomSplit, "leaves 0 training and 0 test rows"},
		{"labels missing", &Table{FeatureNames: []string{"a"}, Task: Classify, X: []float64{1, 2}, Labels: []int{0}, ClassNames: []string{"x"}}, 0.5, (*Table).RandomSplit, "1 labels for 2 rows"},
		{"label out of range", &Table{FeatureNames: []string{"a"}, Task: Classify, X: []float64{1, 2}, Labels: []int{0, 1}, ClassNames: []string{"x"}}, 0.5, (*Table).StratifiedSplit, "label 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := tt.split(tt.table, tt.fraction, 1)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
	t.Run("two rows each side", func(t *testing.T) {
		train, test, err := indexTable(2, 2).RandomSplit(0.5, 1)
		if err != nil || train.Len() != 2 || test.Len() != 2 {
			t.Errorf("got %v, %v, %v", train, test, err)
		}
	})
}

func TestStandardizer(t *testing.T) {
	// Two features: the second is constant in train.
	train := &Table{FeatureNames: []string{"a", "b"}, Task: Regress, X: []float64{1, 5, 2, 5, 3, 5, 6, 5}, Y: []float64{0, 1, 2, 3}}
	test := &Table{FeatureNames: []string{"a", "b"}, Task: Regress, X: []float64{1000, -7}, Y: []float64{9}}
	s, err := FitStandardizer(train)
	if err != nil {
		t.Fatal(err)
	}
	// a: mean 3, population variance (4+1+0+9)/4 = 3.5.
	if !slices.Equal(s.Mean, []float64{3, 5}) || s.Std[0] != math.Sqrt(3.5) || s.Std[1] != 1 {
		t.Errorf("standardizer %+v", s)
	}
	// Test rows are scaled with the train statistics, not their own.
	ds, err := test.RegressionDataset(s)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]float32, 2)
	ds.Input(0, got)
	if want := []float32{float32(997 / math.Sqrt(3.5)), -12}; !slices.Equal(got, want) {
		t.Errorf("test row scaled to %v, want %v", got, want)
	}
	target := make([]float32, 1)
	ds.Target(0, target)
	if ds.Len() != 1 || ds.TargetSize() != 1 || target[0] != 9 || !slices.Equal(ds.InputShape(), []int{2}) {
		t.Errorf("dataset: len %d, target %v, shape %v", ds.Len(), target, ds.InputShape())
	}

	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back Standardizer
	if err := json.Unmarshal(data, &back); err != nil || !slices.Equal(back.Mean, s.Mean) || !slices.Equal(back.Std, s.Std) {
		t.Errorf("JSON round trip of %s gave %+v, %v", data, back, err)
	}

	errorCases := []struct {
		name string
		call func() error
	}{
		{"fit empty", func() error { _, err := FitStandardizer(&Table{FeatureNames: []string{"a"}}); return err }},
		{"transform width", func() error { return s.Transform([]float64{1, 2, 3}, make([]float32, 3)) }},
		{"transform dst", func() error { return s.Transform([]float64{1, 2}, make([]float32, 1)) }},
		{"zero std", func() error { return Standardizer{Mean: []float64{0}, Std: []float64{0}}.Validate(1) }},
		{"class dataset of regression", func() error { _, err := test.ClassDataset(s); return err }},
		{"regression dataset of classes", func() error { _, err := indexTable(2).RegressionDataset(Standardizer{}); return err }},
		{"dataset width", func() error { _, err := indexTable(2).ClassDataset(s); return err }},
		{"ragged table", func() error {
			_, err := (&Table{FeatureNames: []string{"a", "b"}, Task: Regress, X: []float64{1, 2, 3}, Y: []float64{1}}).RegressionDataset(Standardizer{})
			return err
		}},
	}
	for _, tt := range errorCases {
		t.Run(tt.name, func(t *testing.T) {
			if tt.call() == nil {
				t.Error("no error")
			}
		})
	}
}

func TestClassDataset(t *testing.T) {
	train, test, err := mustBuiltin(t, "wine").StratifiedSplit(0.25, 11)
	if err != nil {
		t.Fatal(err)
	}
	s, err := FitStandardizer(train)
	if err != nil {
		t.Fatal(err)
	}
	var ds loader.Classified
	if ds, err = train.ClassDataset(s); err != nil {
		t.Fatal(err)
	}
	if ds.Len() != train.Len() || ds.Classes() != 3 || !slices.Equal(ds.InputShape(), []int{13}) {
		t.Fatalf("dataset: %d samples, %d classes, shape %v", ds.Len(), ds.Classes(), ds.InputShape())
	}
	// Standardized training features have mean 0 and variance 1.
	row := make([]float32, 13)
	var sum, sumSq [13]float64
	for i := range ds.Len() {
		ds.Input(i, row)
		for j, v := range row {
			sum[j] += float64(v)
			sumSq[j] += float64(v) * float64(v)
		}
		if ds.Label(i) != train.Labels[i] {
			t.Fatalf("label %d = %d, want %d", i, ds.Label(i), train.Labels[i])
		}
	}
	n := float64(ds.Len())
	for j := range sum {
		if mean, variance := sum[j]/n, sumSq[j]/n; math.Abs(mean) > 1e-5 || math.Abs(variance-1) > 1e-5 {
			t.Errorf("feature %d: mean %g, variance %g", j, mean, variance)
		}
	}
	testSet, err := test.ClassDataset(s)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(testSet.ClassNames(), []string{"0", "1", "2"}) || testSet.Len() != test.Len() {
		t.Errorf("test set: names %q, %d samples", testSet.ClassNames(), testSet.Len())
	}
}
