package vec

import (
	"fmt"
	"math"
)

// reluMask is 1 where x >= 0 and 0 elsewhere (NaN included): Gorgonia's
// Rectify is x * (x >= 0), so a negative x gives -0 and NaN stays NaN. It
// selects the bits of 1 as an integer, which the compiler does with a
// conditional move: a branch on the sign of ReLU's input mispredicts half
// the time.
func reluMask(x float32) float32 {
	var one uint32
	if x >= 0 {
		one = 0x3f800000 // math.Float32bits(1)
	}
	return math.Float32frombits(one)
}

// ReLU sets dst[i] = x[i] * (x[i] >= 0 ? 1 : 0).
func ReLU(dst, x []float32) {
	if len(dst) != len(x) {
		panic(fmt.Sprintf("vec: ReLU of %d values into %d", len(x), len(dst)))
	}
	relu(dst, x)
}

// ReLUGrad sets dst[i] = (x[i] >= 0 ? 1 : 0) * dy[i]: the gradient of ReLU
// at x.
func ReLUGrad(dst, x, dy []float32) {
	if len(dst) != len(x) || len(dy) != len(x) {
		panic(fmt.Sprintf("vec: ReLU gradient of %d values and %d gradients into %d", len(x), len(dy), len(dst)))
	}
	reluGrad(dst, x, dy)
}

func reluGo(dst, x []float32) {
	dst = dst[:len(x)]
	for i, v := range x {
		dst[i] = v * reluMask(v)
	}
}

func reluGradGo(dst, x, dy []float32) {
	dst, dy = dst[:len(x)], dy[:len(x)]
	for i, v := range x {
		dst[i] = reluMask(v) * dy[i]
	}
}
