package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Initializer fills dst with initial weights for a layer with the given fan-in
// and fan-out, drawing every random number from rng so that the same seed
// gives the same weights, bit for bit.
type Initializer func(rng *rand.Rand, fanIn, fanOut int, dst []float32)

// Zeros fills dst with zeros.
func Zeros(_ *rand.Rand, _, _ int, dst []float32) {
	for i := range dst {
		dst[i] = 0
	}
}

// GlorotUniform draws from U(-a, a) with a = sqrt(6 / (fanIn + fanOut))
// (Keras' glorot_uniform, PyTorch's xavier_uniform_).
func GlorotUniform(rng *rand.Rand, fanIn, fanOut int, dst []float32) {
	uniform(rng, math.Sqrt(6/float64(fanIn+fanOut)), dst)
}

// GlorotNormal draws from N(0, s^2) with s = sqrt(2 / (fanIn + fanOut))
// (PyTorch's xavier_normal_; untruncated).
func GlorotNormal(rng *rand.Rand, fanIn, fanOut int, dst []float32) {
	normal(rng, math.Sqrt(2/float64(fanIn+fanOut)), dst)
}

// HeUniform draws from U(-a, a) with a = sqrt(6 / fanIn)
// (PyTorch's kaiming_uniform_ for ReLU).
func HeUniform(rng *rand.Rand, fanIn, _ int, dst []float32) {
	uniform(rng, math.Sqrt(6/float64(fanIn)), dst)
}

// HeNormal draws from N(0, s^2) with s = sqrt(2 / fanIn)
// (PyTorch's kaiming_normal_ for ReLU; untruncated).
func HeNormal(rng *rand.Rand, fanIn, _ int, dst []float32) {
	normal(rng, math.Sqrt(2/float64(fanIn)), dst)
}

func uniform(rng *rand.Rand, limit float64, dst []float32) {
	for i := range dst {
		dst[i] = float32((2*rng.Float64() - 1) * limit)
	}
}

func normal(rng *rand.Rand, std float64, dst []float32) {
	for i := range dst {
		dst[i] = float32(rng.NormFloat64() * std)
	}
}

// initialize fills dst with init. An initializer that draws from a nil
// source panics inside math/rand; that becomes an error here, so that a
// missing source is reported rather than crashing (Zeros needs none).
func initialize(layer string, init Initializer, rng *rand.Rand, fanIn, fanOut int, dst []float32) (err error) {
	if init == nil {
		return fmt.Errorf("nn: %s needs an initializer", layer)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("nn: %s: the initializer failed (no random source?): %v", layer, r)
		}
	}()
	init(rng, fanIn, fanOut, dst)
	return nil
}
