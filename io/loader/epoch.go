package loader

import (
	"fmt"
	"math/rand/v2"
)

// Epoch returns the sample indices 0..n-1 cut into batches of batchSize, the
// last one shorter when batchSize does not divide n, so that every sample is
// used exactly once. With a nil rng the indices are in order; otherwise they
// are shuffled (Fisher-Yates) with rng, so the same seed gives the same
// batches. The batches are sub-slices of one permutation.
func Epoch(n, batchSize int, rng *rand.Rand) ([][]int, error) {
	if n < 0 {
		return nil, fmt.Errorf("loader: dataset size %d is negative", n)
	}
	if batchSize <= 0 {
		return nil, fmt.Errorf("loader: batch size must be positive, got %d", batchSize)
	}
	perm := permutation(n, rng)
	batches := make([][]int, 0, (n+batchSize-1)/batchSize)
	for start := 0; start < n; start += batchSize {
		end := min(start+batchSize, n)
		batches = append(batches, perm[start:end:end])
	}
	return batches, nil
}

// permutation returns 0..n-1 shuffled by rng with Fisher-Yates, or in order
// if rng is nil.
func permutation(n int, rng *rand.Rand) []int {
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	if rng != nil {
		for i := n - 1; i > 0; i-- {
			j := rng.IntN(i + 1)
			perm[i], perm[j] = perm[j], perm[i]
		}
	}
	return perm
}
