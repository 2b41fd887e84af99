//go:build !purego

package vec

import "golang.org/x/sys/cpu"

//go:noescape
func copyAVX512(dst, src *float32, n, rows, dstStride, srcStride int, tail uint16)

//go:noescape
func addAVX512(dst, src *float32, n, rows, dstStride, srcStride int, tail uint16)

var haveAVX512 = cpu.X86.HasAVX512F

func copyRuns(dst, src []float32, n, rows, dstStride, srcStride int) {
	if haveAVX512 {
		copyAVX512(&dst[0], &src[0], n, rows, dstStride, srcStride, uint16(1)<<(n%16)-1)
		return
	}
	copyGo(dst, src, n, rows, dstStride, srcStride)
}

func addRuns(dst, src []float32, n, rows, dstStride, srcStride int) {
	if haveAVX512 {
		addAVX512(&dst[0], &src[0], n, rows, dstStride, srcStride, uint16(1)<<(n%16)-1)
		return
	}
	addGo(dst, src, n, rows, dstStride, srcStride)
}
