package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

// special draws values that tell kernels apart: zeros of both signs,
// NaN, infinities, denormals, repeats (ties) and ordinary numbers.
func special(rng *rand.Rand, n int) []float32 {
	pool := []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)),
		1e-40, -1e-40, 1, -1, 2.5, -math.MaxFloat32, math.MaxFloat32}
	x := make([]float32, n)
	for i := range x {
		if rng.IntN(3) == 0 {
			x[i] = pool[rng.IntN(len(pool))]
		} else {
			x[i] = float32(rng.NormFloat64())
		}
	}
	return x
}

func sameBits(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

func TestReLUMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 7, 15, 16, 17, 31, 32, 33, 100, 1000} {
		x, dy := special(rng, n), special(rng, n)
		got, want := make([]float32, n), make([]float32, n)
		ReLU(got, x)
		reluGo(want, x)
		if i := sameBits(got, want); i >= 0 {
			t.Fatalf("n=%d: ReLU(%v) = %v, want %v", n, x[i], got[i], want[i])
		}
		ReLUGrad(got, x, dy)
		reluGradGo(want, x, dy)
		if i := sameBits(got, want); i >= 0 {
			t.Fatalf("n=%d: ReLUGrad(%v, %v) = %v, want %v", n, x[i], dy[i], got[i], want[i])
		}
	}
	// Rectify's own values: -0 for negatives, NaN kept.
	got := make([]float32, 3)
	ReLU(got, []float32{-2, float32(math.NaN()), 3})
	if math.Float32bits(got[0]) != 0x80000000 || !math.IsNaN(float64(got[1])) || got[2] != 3 {
		t.Fatalf("ReLU(-2, NaN, 3) = %v", got)
	}
}

func TestMaxPool2x2MatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 5, 14, 15, 16, 17, 31, 32, 40} {
		for range 20 {
			top, bottom := special(rng, 2*n+rng.IntN(3)), special(rng, 2*n+rng.IntN(3))
			got, want := make([]float32, n), make([]float32, n)
			gotIdx, wantIdx := make([]int32, n), make([]int32, n)
			MaxPool2x2(got, gotIdx, top, bottom, 100, 300)
			maxPool2x2Go(want, wantIdx, top, bottom, 100, 300)
			if i := sameBits(got, want); i >= 0 {
				t.Fatalf("n=%d output %d = %v, want %v (window %v %v / %v %v)", n, i, got[i], want[i], top[2*i], top[2*i+1], bottom[2*i], bottom[2*i+1])
			}
			for i := range wantIdx {
				if gotIdx[i] != wantIdx[i] {
					t.Fatalf("n=%d output %d: index %d, want %d", n, i, gotIdx[i], wantIdx[i])
				}
			}
		}
	}
}
