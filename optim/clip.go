package optim

import "math"

// clipEpsilon is PyTorch's: it keeps the scale finite for a zero norm.
const clipEpsilon = 1e-6

// ClipGlobalNorm scales all gradients together so that their joint L2 norm
// is at most maxNorm, like torch.nn.utils.clip_grad_norm_: with the norm of
// all gradients as one vector, each is multiplied by maxNorm/(norm+1e-6)
// when that is below 1. It returns the norm before clipping, summed in
// float64.
//
// Where PyTorch would spread NaNs, it leaves the gradients unchanged: for a
// norm that is not finite (the caller should skip the step) and for a
// maxNorm that is negative or NaN, where it returns NaN.
func ClipGlobalNorm(params []Param, maxNorm float64) (norm float64) {
	if !(maxNorm >= 0) {
		return math.NaN()
	}
	var sum float64
	for _, p := range params {
		sum += sumSquares(p.Grad)
	}
	norm = math.Sqrt(sum)
	scale := maxNorm / (norm + clipEpsilon)
	if scale >= 1 || math.IsNaN(norm) || math.IsInf(norm, 0) {
		return norm
	}
	f := float32(scale)
	for _, p := range params {
		for i := range p.Grad {
			p.Grad[i] *= f
		}
	}
	return norm
}

// sumSquares sums x[i]^2 in float64 with four accumulators, which run in
// parallel where one would wait on each addition.
func sumSquares(x []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		a, b, c, d := float64(x[i]), float64(x[i+1]), float64(x[i+2]), float64(x[i+3])
		s0 += a * a
		s1 += b * b
		s2 += c * c
		s3 += d * d
	}
	for ; i < len(x); i++ {
		a := float64(x[i])
		s0 += a * a
	}
	return (s0 + s1) + (s2 + s3)
}

// ClipValue clamps every gradient element to [-limit, limit], like
// torch.nn.utils.clip_grad_value_. NaN gradients stay NaN. A negative or
// NaN limit leaves the gradients unchanged.
func ClipValue(params []Param, limit float64) {
	if !(limit >= 0) {
		return
	}
	hi := float32(limit)
	lo := -hi
	for _, p := range params {
		for i, g := range p.Grad {
			if g > hi {
				p.Grad[i] = hi
			} else if g < lo {
				p.Grad[i] = lo
			}
		}
	}
}
