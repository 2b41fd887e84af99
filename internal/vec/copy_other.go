//go:build !amd64 || purego

package vec

func copyRuns(dst, src []float32, n, rows, dstStride, srcStride int) {
	copyGo(dst, src, n, rows, dstStride, srcStride)
}

func addRuns(dst, src []float32, n, rows, dstStride, srcStride int) {
	addGo(dst, src, n, rows, dstStride, srcStride)
}

func relu(dst, x []float32)         { reluGo(dst, x) }
func reluGrad(dst, x, dy []float32) { reluGradGo(dst, x, dy) }
func maxPool2x2(out []float32, idx []int32, top, bottom []float32, topAt, bottomAt int32) {
	maxPool2x2Go(out, idx, top, bottom, topAt, bottomAt)
}
