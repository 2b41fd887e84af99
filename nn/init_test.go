package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestInitializers(t *testing.T) {
	const fanIn, fanOut, n = 300, 100, 120000
	tests := []struct {
		name    string
		init    Initializer
		limit   float64 // bound on |w| for uniform draws, 0 for none
		wantStd float64
	}{
		// U(-a, a) has std a/sqrt(3).
		{"glorot_uniform", GlorotUniform, math.Sqrt(6.0 / (fanIn + fanOut)), math.Sqrt(6.0/(fanIn+fanOut)) / math.Sqrt(3)},
		{"glorot_normal", GlorotNormal, 0, math.Sqrt(2.0 / (fanIn + fanOut))},
		{"he_uniform", HeUniform, math.Sqrt(6.0 / fanIn), math.Sqrt(6.0/fanIn) / math.Sqrt(3)},
		{"he_normal", HeNormal, 0, math.Sqrt(2.0 / fanIn)},
		{"zeros", Zeros, 1e-30, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			byName, err := InitializerByName(tc.name)
			if err != nil {
				t.Fatal(err)
			}
			a, b := make([]float32, n), make([]float32, n)
			tc.init(rand.New(rand.NewPCG(1, 2)), fanIn, fanOut, a)
			byName(rand.New(rand.NewPCG(1, 2)), fanIn, fanOut, b)
			var sum, sq float64
			for i, v := range a {
				if math.Float32bits(v) != math.Float32bits(b[i]) {
					t.Fatal("the same seed gave different weights")
				}
				if tc.limit > 0 && math.Abs(float64(v)) > tc.limit {
					t.Fatalf("weight %v outside +-%v", v, tc.limit)
				}
				sum += float64(v)
				sq += float64(v) * float64(v)
			}
			mean := sum / n
			std := math.Sqrt(sq/n - mean*mean)
			// With 120,000 draws the sample std is within 1% of the truth.
			if math.Abs(std-tc.wantStd) > 0.01*tc.wantStd+1e-12 || math.Abs(mean) > 0.01*tc.wantStd+1e-12 {
				t.Errorf("mean %.5f std %.5f, want 0 and %.5f", mean, std, tc.wantStd)
			}
			c := make([]float32, n)
			tc.init(rand.New(rand.NewPCG(1, 3)), fanIn, fanOut, c)
			if tc.wantStd > 0 && c[0] == a[0] && c[1] == a[1] {
				t.Error("different seeds gave the same weights")
			}
		})
	}
	if _, err := InitializerByName("ones"); err == nil {
		t.Error("unknown initializer accepted")
	}
}
