package loader

import (
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// shuffleAlpha is the significance level of the shuffle tests. The seeds
// are fixed, so the tests are deterministic; the level says how unlikely
// the statistic they check is under a uniform shuffle.
const shuffleAlpha = 1e-3

// chiSquare returns Pearson's statistic of observed counts that should
// each be expected.
func chiSquare(observed []int, expected float64) float64 {
	s := 0.0
	for _, o := range observed {
		d := float64(o) - expected
		s += d * d / expected
	}
	return s
}

// checkChiSquare fails t when statistic is above the 1-shuffleAlpha
// quantile of the chi-square distribution with df degrees of freedom.
func checkChiSquare(t *testing.T, what string, statistic float64, df int) {
	t.Helper()
	limit := distuv.ChiSquared{K: float64(df)}.Quantile(1 - shuffleAlpha)
	t.Logf("%s: chi-square %.1f, %d degrees of freedom, limit %.1f", what, statistic, df, limit)
	if statistic > limit {
		t.Errorf("%s: chi-square %.1f with %d degrees of freedom, above %.1f (p < %g): not uniform", what, statistic, df, limit, shuffleAlpha)
	}
}

// epochOrders returns the sample order of each of epochs epochs of n
// samples, drawn one after another from one seeded source as training
// draws them.
func epochOrders(t *testing.T, n, batch, epochs int, seed uint64) [][]int {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 11))
	orders := make([][]int, epochs)
	for e := range orders {
		batches, err := Epoch(n, batch, rng)
		if err != nil {
			t.Fatal(err)
		}
		orders[e] = slices.Concat(batches...)
	}
	return orders
}

// TestShuffleUniformPositions counts where each sample lands over many
// epochs: under a uniform shuffle each of the n x n (sample, position)
// cells expects epochs/n. An epoch adds a permutation matrix, whose cells
// have covariance A⊗A/(n-1) with A = I - J/n, a projection of rank (n-1)²;
// so Pearson's statistic times (n-1)/n is chi-square with (n-1)² degrees
// of freedom. A partial shuffle, or
// Sattolo's algorithm (rng.IntN(i), which never leaves a sample in place),
// or the naive swap with rng.IntN(n) each fail it; a shuffle that only
// rotates would pass, which TestShuffleUniformPermutations catches.
func TestShuffleUniformPositions(t *testing.T) {
	cases := []struct{ n, batch, epochs int }{
		{10, 10, 20000},
		{10, 3, 20000}, // a short last batch
		{7, 2, 14000},
	}
	for _, c := range cases {
		counts := make([]int, c.n*c.n) // [sample][position]
		for _, order := range epochOrders(t, c.n, c.batch, c.epochs, uint64(c.n*c.batch)) {
			for pos, sample := range order {
				counts[sample*c.n+pos]++
			}
		}
		s := chiSquare(counts, float64(c.epochs)/float64(c.n)) * float64(c.n-1) / float64(c.n)
		checkChiSquare(t, "positions", s, (c.n-1)*(c.n-1))
	}
}

// TestShuffleUniformPermutations counts whole permutations of 4 samples:
// each of the 24 expects epochs/24, with 23 degrees of freedom.
func TestShuffleUniformPermutations(t *testing.T) {
	const n, epochs = 4, 24000
	index := make(map[[n]int]int)
	counts := make([]int, 24)
	for _, order := range epochOrders(t, n, 3, epochs, 5) {
		key := [n]int(order)
		k, ok := index[key]
		if !ok {
			k = len(index)
			index[key] = k
			if k >= len(counts) {
				t.Fatalf("%v is not a permutation of %d samples", order, n)
			}
		}
		counts[k]++
	}
	checkChiSquare(t, "permutations", chiSquare(counts, float64(epochs)/24), 23)
}

// TestSplitUniform applies the position test to Split, which shuffles with
// the same permutation code: each sample is equally likely to land in the
// first part.
func TestSplitUniform(t *testing.T) {
	const n, first, trials = 10, 3, 20000
	rng := rand.New(rand.NewPCG(17, 0))
	counts := make([]int, n)
	for range trials {
		a, _, err := Split(plain{n: n, shape: []int{1}}, first, rng)
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range a.(*view).indices {
			counts[i]++
		}
	}
	// Each sample lands in the first part with probability p = first/n. A
	// trial's indicators have covariance p(1-p) n/(n-1) (I - J/n), so
	// Pearson's statistic times (n-1)/(n(1-p)) is chi-square with n-1
	// degrees of freedom.
	const p = float64(first) / n
	s := chiSquare(counts, float64(trials*first)/n) * (n - 1) / (n * (1 - p))
	checkChiSquare(t, "split", s, n-1)
}
