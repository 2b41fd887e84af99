// Package gemm is gozoo's float32 matrix product: C = alpha*op(A)*op(B) +
// beta*C on row-major matrices, in pure Go and Go assembly, with no cgo.
//
// It is built the way BLIS and OpenBLAS build theirs. The product is cut
// into blocks of KC inner terms and NC columns that fit the caches; each
// block of op(B) is packed into panels of NR columns and each block of
// op(A) into panels of MR rows, and a register-blocked micro-kernel
// multiplies one A panel by one B panel. The micro-kernel is chosen once,
// from the CPU's features:
//
//   - avx512: 8x32, sixteen ZMM accumulators (AVX-512F),
//   - avx2: 6x16, twelve YMM accumulators (AVX2 and FMA),
//   - go: 4x8 in portable Go with math.FMA.
//
// Every kernel computes each element of C the same way: a fused
// multiply-add chain over the block's inner terms in order, starting from
// zero, then one addition into C. So the AVX2 and AVX-512 kernels give the
// same bits (tested), a product's bits do not depend on how many goroutines
// share it (work is split by blocks of C, never along the inner dimension),
// and they do not depend on GOMAXPROCS. The portable kernel rounds its
// fused multiply-add through float64 and may differ from them in the last
// bit, rarely.
//
// Large products are spread over up to GOMAXPROCS goroutines; small ones
// run on the caller's. Implementation plugs Sgemm into gonum's BLAS
// interface, which is how Gorgonia and gorgonia.org/tensor use it.
package gemm
