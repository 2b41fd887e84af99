//go:build !purego

package gemm

import "golang.org/x/sys/cpu"

//go:noescape
func transpose8x8AVX(dst *float32, dstStride int, src *float32, srcStride, blocks int)

var haveAVX = cpu.X86.HasAVX

// transpose8Blocks transposes the whole 8x8 blocks of transpose8 and
// returns how many columns it did.
func transpose8Blocks(dst []float32, dstStride int, src []float32, srcStride, n int) int {
	if !haveAVX || n < 8 {
		return 0
	}
	transpose8x8AVX(&dst[0], dstStride, &src[0], srcStride, n/8)
	return n / 8 * 8
}
