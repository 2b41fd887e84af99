package backend

import (
	"fmt"
	"strings"

	"gonum.org/v1/gonum/blas/gonum"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gozoo/gozoo/backend/gemm"
)

// Names of the backends Use accepts.
const (
	Gozoo    = "gozoo"    // gonum's BLAS with package gemm's matrix product, the default
	Gonum    = "gonum"    // gonum's pure-Go BLAS as it is
	OpenBLAS = "openblas" // OpenBLAS through cgo; needs -tags openblas
)

// Use makes the named BLAS carry every later matrix product: gorgonia's
// (which gozoo's convolution uses) and tensor's (which the tape machine's
// MatMul uses). It changes process-wide state: call it before building or
// running any graph, never while one runs. An empty name means Gozoo,
// which is also what a program that never calls Use gets.
func Use(name string) error {
	switch name {
	case "", Gozoo:
		gorgonia.Use(gemm.Implementation{})
		return nil
	case Gonum:
		gorgonia.Use(gonum.Implementation{}) // sets tensor's BLAS too
		return nil
	case OpenBLAS:
		b := openBLAS()
		if b == nil {
			return fmt.Errorf("backend: this binary was built without %s; rebuild with CGO_ENABLED=1 go build -tags openblas (needs libopenblas-dev)", name)
		}
		gorgonia.Use(b)
		return nil
	}
	return fmt.Errorf("backend: unknown BLAS %q (want one of %s)", name, strings.Join(Available(), ", "))
}

// Name returns the name of the BLAS that tensor's matrix products use now:
// Gozoo, Gonum, OpenBLAS, or, for one set outside this package, its Go type.
func Name() string {
	switch b := tensor.WhichBLAS(); {
	case isGozoo(b):
		return Gozoo
	case isGonum(b):
		return Gonum
	case isOpenBLAS(b):
		return OpenBLAS
	default:
		return fmt.Sprintf("%T", b)
	}
}

// Kernel describes the matrix kernel in use: for Gozoo the micro-kernel
// picked from the CPU's features, such as "gozoo avx512 8x32".
//
// For OpenBLAS it is OpenBLAS's own description of its build, which names
// the kernels it picked for the CPU, such as "OpenBLAS 0.3.21 ...
// SkylakeX": a generic one (Prescott) on a CPU it does not recognise is
// several times slower, and OPENBLAS_CORETYPE overrides it
// (docs/backends.md).
func Kernel() string {
	switch b := tensor.WhichBLAS(); {
	case isGozoo(b):
		return Gozoo + " " + gemm.Kernel()
	case isOpenBLAS(b):
		return openBLASConfig()
	}
	return Name()
}

func isGozoo(b tensor.BLAS) bool {
	switch b.(type) {
	case gemm.Implementation, *gemm.Implementation:
		return true
	}
	return false
}

func isGonum(b tensor.BLAS) bool {
	switch b.(type) {
	case gonum.Implementation, *gonum.Implementation:
		return true
	}
	return false
}

// Available returns the names Use accepts in this binary, Gozoo first.
func Available() []string {
	if openBLAS() == nil {
		return []string{Gozoo, Gonum}
	}
	return []string{Gozoo, Gonum, OpenBLAS}
}
