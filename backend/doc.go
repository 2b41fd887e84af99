// Package backend picks the BLAS that carries gozoo's matrix products.
//
// Gorgonia and its tensor package send every float32 matrix product to one
// package-level BLAS. By default (package nn sets it) that is Gozoo:
// gonum's pure-Go BLAS with its float32 product replaced by package
// backend/gemm's AVX-512 and AVX2 kernels, which need no C toolchain and
// give the same bits whatever GOMAXPROCS is and on AVX2 and AVX-512
// machines alike. Gonum selects gonum's own kernels. Built with -tags
// openblas (and cgo, against libopenblas-dev), gozoo can hand the products
// to OpenBLAS instead:
//
//	CGO_ENABLED=1 go build -tags openblas ./cmd/gozoo
//	GOZOO_BLAS=openblas ./gozoo train
//
// From Go, call Use once at start-up, before any graph is built or run:
//
//	if err := backend.Use("openblas"); err != nil { ... }
//
// See docs/backends.md for measured speed and what each choice means for
// reproducibility.
package backend
