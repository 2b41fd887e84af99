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
		ks = append(ks, kernel{name: "avx512", mr: 8, nr: 32, run: kernelAVX512, row: rowAVX512})
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, kernel{name: "avx2", mr: 6, nr: 16, run: kernelAVX2})
	}
	return ks
}

//go:noescape
func rowAVX512x128(k int, a, b *float32, ldb int, c *float32)

//go:noescape
func rowAVX512x16(k int, a, b *float32, ldb int, c *float32, mask uint16)

// rowAVX512 is the AVX-512 kernel's one-row product: 128 columns at a
// time, then 16 at a time, the last masked.
func rowAVX512(k int, a, b []float32, ldb int, c []float32) {
	{
		n := len(c)
		j := 0
		for ; j+128 <= n; j += 128 {
			rowAVX512x128(k, &a[0], &b[j], ldb, &c[j])
		}
		for ; j < n; j += 16 {
			mask := uint16(0xffff)
			if n-j < 16 {
				mask = 1<<(n-j) - 1
			}
			rowAVX512x16(k, &a[0], &b[j], ldb, &c[j], mask)
		}
	}
}
