package optim

import (
	"math"
	"slices"
	"testing"

	"github.com/gozoo/gozoo/internal/testutil"
)

func TestClipGlobalNorm(t *testing.T) {
	nan := float32(math.NaN())
	cases := []struct {
		name     string
		grads    [][]float32
		maxNorm  float64
		wantNorm float64
		want     [][]float32
	}{
		// Norm of (3, 4, 12) is 13; scale 6.5/(13+1e-6).
		{"clipped", [][]float32{{3, 4}, {12}}, 6.5, 13,
			[][]float32{{float32(3 * 6.5 / (13 + 1e-6)), float32(4 * 6.5 / (13 + 1e-6))}, {float32(12 * 6.5 / (13 + 1e-6))}}},
		{"under the limit", [][]float32{{3, 4}, {12}}, 14, 13, [][]float32{{3, 4}, {12}}},
		{"zero gradients", [][]float32{{0, 0}, {0}}, 1, 0, [][]float32{{0, 0}, {0}}},
		{"zero max", [][]float32{{3, 4}}, 0, 5, [][]float32{{0, 0}}},
		{"non-finite norm", [][]float32{{nan, 4}}, 1, math.NaN(), [][]float32{{nan, 4}}},
		{"negative max", [][]float32{{3, 4}}, -1, math.NaN(), [][]float32{{3, 4}}},
		{"many values", [][]float32{slices.Repeat([]float32{1}, 11)}, 1, math.Sqrt(11),
			[][]float32{slices.Repeat([]float32{float32(1 / (math.Sqrt(11) + 1e-6))}, 11)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			params := make([]Param, len(c.grads))
			for i, g := range c.grads {
				params[i] = Param{Name: "p", Grad: slices.Clone(g)}
			}
			norm := ClipGlobalNorm(params, c.maxNorm)
			if math.IsNaN(c.wantNorm) != math.IsNaN(norm) || !math.IsNaN(norm) && !testutil.Close(norm, c.wantNorm, 1e-12, 1e-12) {
				t.Errorf("norm %g, want %g", norm, c.wantNorm)
			}
			for i, p := range params {
				if !slices.EqualFunc(p.Grad, c.want[i], sameFloat) {
					t.Errorf("grad %d = %v, want %v", i, p.Grad, c.want[i])
				}
			}
		})
	}
}

func sameFloat(a, b float32) bool { return a == b || a != a && b != b }

func TestClipValue(t *testing.T) {
	nan := float32(math.NaN())
	cases := []struct {
		name  string
		grad  []float32
		limit float64
		want  []float32
	}{
		{"clamped", []float32{-3, -0.5, 0, 0.5, 3}, 1, []float32{-1, -0.5, 0, 0.5, 1}},
		{"zero limit", []float32{-3, 2}, 0, []float32{0, 0}},
		{"nan stays", []float32{nan, 5}, 1, []float32{nan, 1}},
		{"negative limit", []float32{-3, 2}, -1, []float32{-3, 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			params := []Param{{Name: "p", Grad: slices.Clone(c.grad)}}
			ClipValue(params, c.limit)
			if !slices.EqualFunc(params[0].Grad, c.want, sameFloat) {
				t.Errorf("grad %v, want %v", params[0].Grad, c.want)
			}
		})
	}
}
