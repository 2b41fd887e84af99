package bench

import (
	"math/rand/v2"
	"slices"
)

// Sizes of the synthetic sets: enough distinct images that batches differ,
// little memory (uint8 pixels, scaled per batch like the real datasets).
const (
	syntheticTrain = 2048
	syntheticTest  = 1024
)

// synthetic is a labelled set of random images, pixels uniform in 0..255
// scaled to [0, 1], labels uniform over 10 classes: the stand-in for data
// that would need a download. Speed is what it is for; nothing learns
// from it.
type synthetic struct {
	shape  []int
	size   int
	pixels []uint8
	labels []uint8
}

func newSynthetic(shape []int, n int, rng *rand.Rand) *synthetic {
	size := 1
	for _, d := range shape {
		size *= d
	}
	s := &synthetic{shape: slices.Clone(shape), size: size, pixels: make([]uint8, n*size), labels: make([]uint8, n)}
	for i := range s.pixels {
		s.pixels[i] = uint8(rng.UintN(256))
	}
	for i := range s.labels {
		s.labels[i] = uint8(rng.UintN(syntheticClasses))
	}
	return s
}

const syntheticClasses = 10

func (s *synthetic) Len() int          { return len(s.labels) }
func (s *synthetic) InputShape() []int { return s.shape }
func (s *synthetic) Classes() int      { return syntheticClasses }
func (s *synthetic) Label(i int) int   { return int(s.labels[i]) }
func (s *synthetic) Input(i int, dst []float32) {
	for j, p := range s.pixels[i*s.size : (i+1)*s.size] {
		dst[j] = float32(p) / 255
	}
}
