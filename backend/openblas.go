//go:build openblas && cgo

package backend

// netlib declares the CBLAS functions but links no library; this directive
// makes "go build -tags openblas" link OpenBLAS without CGO_LDFLAGS.

/*
#cgo LDFLAGS: -lopenblas
char *openblas_get_config(void);
void openblas_set_num_threads(int);
*/
import "C"

import (
	"os"

	"gonum.org/v1/netlib/blas/netlib"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// openBLAS returns OpenBLAS. Unless OPENBLAS_NUM_THREADS says otherwise it
// pins OpenBLAS to one thread: threaded products sum long inner dimensions
// in another order, so results would change with the machine's core count
// (docs/backends.md), and at gozoo's sizes one thread is as fast as two.
func openBLAS() gorgonia.BLAS {
	if os.Getenv("OPENBLAS_NUM_THREADS") == "" {
		C.openblas_set_num_threads(1)
	}
	return netlib.Implementation{}
}

func isOpenBLAS(b tensor.BLAS) bool {
	switch b.(type) {
	case netlib.Implementation, *netlib.Implementation:
		return true
	}
	return false
}

// openBLASConfig returns OpenBLAS's own description of its build, such as
// "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64": proof
// that the linked CBLAS is OpenBLAS, and which kernels it picked.
func openBLASConfig() string { return C.GoString(C.openblas_get_config()) }
