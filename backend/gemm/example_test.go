package gemm_test

import (
	"fmt"

	"github.com/gozoo/gozoo/backend/gemm"
)

// C = A B for a 2x3 A and a 3x2 B, row-major.
func ExampleSgemm() {
	a := []float32{1, 2, 3, 4, 5, 6}
	b := []float32{1, 0, 0, 1, 1, 1}
	c := make([]float32, 4)
	gemm.Sgemm(false, false, 2, 2, 3, 1, a, 3, b, 2, 0, c, 2)
	fmt.Println(c)
	// Output: [4 5 10 11]
}

// Kernels lists what this CPU runs, fastest first; the portable kernel is
// always there.
func ExampleKernels() {
	ks := gemm.Kernels()
	fmt.Println(ks[len(ks)-1])
	// Output: go
}
