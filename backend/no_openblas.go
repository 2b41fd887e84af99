//go:build !openblas || !cgo

package backend

import (
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// openBLAS returns nil: this binary was built without -tags openblas or
// without cgo.
func openBLAS() gorgonia.BLAS { return nil }

func isOpenBLAS(tensor.BLAS) bool { return false }

func openBLASConfig() string { return "" }
