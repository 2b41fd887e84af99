package csvdata

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// MinPartRows is the fewest rows a split leaves in either part: one row
// cannot estimate a loss, a standardizer or a spread.
const MinPartRows = 2

// SplitSizeError is a split that would leave fewer than MinPartRows rows
// in a part: Rows split by Fraction into Train and Test.
type SplitSizeError struct {
	Fraction          float64
	Rows, Train, Test int
}

func (e *SplitSizeError) Error() string {
	return fmt.Sprintf("csvdata: test fraction %v of %d rows leaves %d training and %d test rows; each part needs at least %d",
		e.Fraction, e.Rows, e.Train, e.Test, MinPartRows)
}

// pcgStream is the second PCG seed word; the caller's seed is the first.
const pcgStream = 0x9e3779b97f4a7c15

// RandomSplit returns a random testFraction of the rows (rounded to the
// nearest row) as test and the rest as train, both in file order. The choice
// is a function of seed alone (math/rand/v2 PCG). Each part must get at
// least MinPartRows rows.
func (t *Table) RandomSplit(testFraction float64, seed uint64) (train, test *Table, err error) {
	n, nTest, err := t.testSize(testFraction)
	if err != nil {
		return nil, nil, err
	}
	perm := rand.New(rand.NewPCG(seed, pcgStream)).Perm(n)
	train, test = t.split(perm[:nTest])
	return train, test, nil
}

// StratifiedSplit is RandomSplit keeping the class proportions of a
// classification table: the test part takes from each class its share of the
// test size, rounded by the largest-remainder method, so every class's test
// count is within one row of its exact proportion. Besides RandomSplit's
// MinPartRows, every class of the table must keep at least one training row
// (a rare class may be missing from the test part).
func (t *Table) StratifiedSplit(testFraction float64, seed uint64) (train, test *Table, err error) {
	if t.Task != Classify {
		return nil, nil, fmt.Errorf("csvdata: stratified split needs a classification table, this one is %v", t.Task)
	}
	n, nTest, err := t.testSize(testFraction)
	if err != nil {
		return nil, nil, err
	}
	byClass := make([][]int, len(t.ClassNames))
	for i, l := range t.Labels {
		byClass[l] = append(byClass[l], i)
	}
	// Largest remainder: floor of each exact share, then one more row to the
	// classes with the largest fractional parts (ties to the lower class).
	counts := make([]int, len(byClass))
	order := make([]int, len(byClass))
	left := nTest
	for c, rows := range byClass {
		counts[c] = len(rows) * nTest / n
		left -= counts[c]
		order[c] = c
	}
	remainder := func(c int) int { return len(byClass[c]) * nTest % n }
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(remainder(b), remainder(a)) })
	for _, c := range order[:left] {
		counts[c]++
	}
	for c, rows := range byClass {
		if len(rows) > 0 && counts[c] == len(rows) {
			return nil, nil, fmt.Errorf("csvdata: stratified split of test fraction %v puts all %d rows of class %s in the test part; each class needs a training row",
				testFraction, len(rows), quote(t.ClassNames[c]))
		}
	}
	rng := rand.New(rand.NewPCG(seed, pcgStream))
	var testRows []int
	for c, rows := range byClass {
		rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
		testRows = append(testRows, rows[:counts[c]]...)
	}
	train, test = t.split(testRows)
	return train, test, nil
}

func (t *Table) testSize(testFraction float64) (n, nTest int, err error) {
	if err := t.validate(); err != nil {
		return 0, 0, err
	}
	if !(testFraction > 0 && testFraction < 1) {
		return 0, 0, fmt.Errorf("csvdata: test fraction %v is outside (0, 1)", testFraction)
	}
	n = t.Len()
	nTest = int(math.Round(testFraction * float64(n)))
	if nTest < MinPartRows || n-nTest < MinPartRows {
		return 0, 0, &SplitSizeError{Fraction: testFraction, Rows: n, Train: n - nTest, Test: nTest}
	}
	return n, nTest, nil
}

// split returns the rows not in testRows and those in testRows, each in file
// order.
func (t *Table) split(testRows []int) (train, test *Table) {
	inTest := make([]bool, t.Len())
	for _, i := range testRows {
		inTest[i] = true
	}
	var trainRows []int
	for i, in := range inTest {
		if !in {
			trainRows = append(trainRows, i)
		}
	}
	testRows = slices.Sorted(slices.Values(testRows))
	return t.subset(trainRows), t.subset(testRows)
}

func (t *Table) subset(rows []int) *Table {
	s := &Table{
		FeatureNames: t.FeatureNames,
		TargetName:   t.TargetName,
		Task:         t.Task,
		ClassNames:   t.ClassNames,
		X:            make([]float64, 0, len(rows)*len(t.FeatureNames)),
	}
	for _, i := range rows {
		s.X = append(s.X, t.Row(i)...)
		if t.Labels != nil {
			s.Labels = append(s.Labels, t.Labels[i])
		}
		if t.Y != nil {
			s.Y = append(s.Y, t.Y[i])
		}
	}
	return s
}
