//go:build !amd64 || purego

package gemm

func simdKernels() []kernel { return nil }
