package gemm

import "fmt"

// transpose8 writes dst[p*dstStride+r] = src[r*srcStride+p] for the eight
// rows r of src and its first n columns p: eight rows of B become n rows
// of eight values of a packed panel.
func transpose8(dst []float32, dstStride int, src []float32, srcStride, n int) {
	if n <= 0 {
		return
	}
	if len(dst) < (n-1)*dstStride+8 || len(src) < 7*srcStride+n {
		panic(fmt.Sprintf("gemm: transposing 8x%d: %d and %d values do not hold strides %d and %d", n, len(dst), len(src), dstStride, srcStride))
	}
	if done := transpose8Blocks(dst, dstStride, src, srcStride, n); done < n {
		transpose8Go(dst[done*dstStride:], dstStride, src[done:], srcStride, n-done)
	}
}

// transpose8Go is transpose8 in Go: each p fills eight adjacent values, one
// write stream instead of eight.
func transpose8Go(dst []float32, dstStride int, src []float32, srcStride, n int) {
	if n <= 0 {
		return
	}
	s0, s1, s2, s3 := src[:n], src[srcStride:][:n], src[2*srcStride:][:n], src[3*srcStride:][:n]
	s4, s5, s6, s7 := src[4*srcStride:][:n], src[5*srcStride:][:n], src[6*srcStride:][:n], src[7*srcStride:][:n]
	for p := range n {
		d := dst[p*dstStride : p*dstStride+8 : p*dstStride+8]
		d[0], d[1], d[2], d[3] = s0[p], s1[p], s2[p], s3[p]
		d[4], d[5], d[6], d[7] = s4[p], s5[p], s6[p], s7[p]
	}
}
