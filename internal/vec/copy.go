package vec

import "fmt"

// Copy copies rows runs of n values: run r is src[r*srcStride:][:n] and
// goes to dst[r*dstStride:][:n]. It panics if a run falls outside its
// slice.
func Copy(dst, src []float32, n, rows, dstStride, srcStride int) {
	if n <= 0 || rows <= 0 {
		return
	}
	checkRuns(dst, src, n, rows, dstStride, srcStride)
	copyRuns(dst, src, n, rows, dstStride, srcStride)
}

// Add adds runs as Copy copies them: dst's run r += src's run r.
func Add(dst, src []float32, n, rows, dstStride, srcStride int) {
	if n <= 0 || rows <= 0 {
		return
	}
	checkRuns(dst, src, n, rows, dstStride, srcStride)
	addRuns(dst, src, n, rows, dstStride, srcStride)
}

func checkRuns(dst, src []float32, n, rows, dstStride, srcStride int) {
	if dstStride < 0 || srcStride < 0 || (rows-1)*dstStride+n > len(dst) || (rows-1)*srcStride+n > len(src) {
		panic(fmt.Sprintf("vec: %d runs of %d with strides %d and %d do not fit %d and %d values", rows, n, dstStride, srcStride, len(dst), len(src)))
	}
}

func addGo(dst, src []float32, n, rows, dstStride, srcStride int) {
	for r := range rows {
		d := dst[r*dstStride:][:n]
		s := src[r*srcStride:][:n]
		for i, v := range s {
			d[i] += v
		}
	}
}

// copyGo is the portable copy.
func copyGo(dst, src []float32, n, rows, dstStride, srcStride int) {
	for r := range rows {
		d := dst[r*dstStride:][:n]
		s := src[r*srcStride:][:n]
		for i, v := range s {
			d[i] = v
		}
	}
}
