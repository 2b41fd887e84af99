// Package vec holds the inner loops of package nn's own ops, in Go and, on
// AVX-512, in Go assembly: strided copies for im2col, ReLU and its
// gradient, and 2x2 max pooling. Each assembly loop computes exactly what
// its Go twin computes (the same selections and the same single
// multiplications), so the bits do not depend on which runs; the tests
// check them against each other on inputs with zeros of both signs,
// NaNs, infinities and ties.
package vec
