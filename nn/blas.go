package nn

import (
	G "gorgonia.org/gorgonia"

	"github.com/gozoo/gozoo/backend/gemm"
)

// Every program runs its matrix products on package gemm's kernels unless
// package backend is told otherwise: Gorgonia's own default, gonum's
// pure-Go BLAS, is 6-20 times slower at these sizes (docs/benchmarks.md).
func init() { G.Use(gemm.Implementation{}) }
