package gemm

import (
	"fmt"
	"math"
	"strings"
)

// A kernel multiplies one packed panel of A (k x mr, column by column) by
// a k x nr panel of B whose rows are ldb elements apart (packed, or in
// place) and adds the product's first rows rows to C, whose rows are ldc
// elements apart.
type kernel struct {
	name   string
	mr, nr int
	run    func(k int, a, b *float32, ldb int, c *float32, ldc, rows int)
	// row, if not nil, is the product of one row of A with B in place:
	// c[0:n] += a[0:k] * B[k x n], each element computed as run computes
	// it, for products of one or two rows.
	row func(k int, a, b []float32, ldb int, c []float32)
}

// kernels lists the kernels this CPU can run, fastest first; the portable
// one is always last.
var kernels = append(simdKernels(), kernel{name: "go", mr: 4, nr: 8, run: kernelGo})

// active is the kernel Sgemm uses.
var active = kernels[0]

// Kernel names the micro-kernel in use, such as "avx512 8x32".
func Kernel() string { return fmt.Sprintf("%s %dx%d", active.name, active.mr, active.nr) }

// Kernels lists the names Use accepts on this CPU, fastest first.
func Kernels() []string {
	names := make([]string, len(kernels))
	for i, k := range kernels {
		names[i] = k.name
	}
	return names
}

// Use picks the micro-kernel by name ("avx512", "avx2", "go"); "" picks the
// fastest this CPU runs. It changes process-wide state: call it before any
// product runs, never during one.
func Use(name string) error {
	if name == "" {
		active = kernels[0]
		return nil
	}
	for _, k := range kernels {
		if k.name == name {
			active = k
			return nil
		}
	}
	return fmt.Errorf("gemm: kernel %q is not available on this CPU (want one of %s)", name, strings.Join(Kernels(), ", "))
}

// kernelGo is the portable 4x8 kernel.
func kernelGo(k int, a, b *float32, ldb int, c *float32, ldc, rows int) {
	const mr, nr = 4, 8
	ap := unsafeSlice(a, k*mr)
	bp := unsafeSlice(b, (k-1)*ldb+nr)
	var acc [mr][nr]float32
	for p := 0; p < k; p++ {
		av := ap[p*mr : p*mr+mr]
		bv := bp[p*ldb : p*ldb+nr]
		for i := range mr {
			ai := float64(av[i])
			for j := range nr {
				acc[i][j] = float32(math.FMA(ai, float64(bv[j]), float64(acc[i][j])))
			}
		}
	}
	cs := unsafeSlice(c, (rows-1)*ldc+nr)
	for i := range rows {
		row := cs[i*ldc : i*ldc+nr]
		for j := range row {
			row[j] += acc[i][j]
		}
	}
}
