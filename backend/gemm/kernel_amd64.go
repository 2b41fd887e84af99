//go:build !purego

package gemm

import "golang.org/x/sys/cpu"

//go:noescape
func kernelAVX512(k int, a, b *float32, ldb int, c *float32, ldc, rows int)

//go:noescape
func kernelAVX2(k int, a, b *float32, ldb int, c *float32, ldc, rows int)

func simdKernels() []kernel {
	var ks []kernel
	if cpu.X86.HasAVX512F {
		ks = append(ks, kernel{name: "avx512", mr: 8, nr: 32, run: kernelAVX512})
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, kernel{name: "avx2", mr: 6, nr: 16, run: kernelAVX2})
	}
	return ks
}
