package nn

import (
	"math/rand/v2"
	"testing"
)

// naiveIm2col is the definition im2col's fast paths must agree with.
func naiveIm2col(g convGeom, x []float32) []float32 {
	col := make([]float32, g.k()*g.p())
	for c := 0; c < g.c; c++ {
		for i := 0; i < g.kh; i++ {
			for j := 0; j < g.kw; j++ {
				row := (c*g.kh+i)*g.kw + j
				for oy := 0; oy < g.oh; oy++ {
					for ox := 0; ox < g.ow; ox++ {
						iy, ix := oy*g.sh-g.ph+i, ox*g.sw-g.pw+j
						if iy >= 0 && iy < g.h && ix >= 0 && ix < g.w {
							col[row*g.p()+oy*g.ow+ox] = x[(c*g.h+iy)*g.w+ix]
						}
					}
				}
			}
		}
	}
	return col
}

func TestIm2colAndCol2imMatchTheDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for trial := 0; trial < 200; trial++ {
		win := window{
			kernel:  [2]int{1 + rng.IntN(5), 1 + rng.IntN(5)},
			stride:  [2]int{1 + rng.IntN(3), 1 + rng.IntN(3)},
			padding: [2]int{rng.IntN(3), rng.IntN(3)},
		}
		h, w := 1+rng.IntN(8), 1+rng.IntN(8)
		oh, ow, err := win.outputHW(h, w)
		if err != nil {
			continue
		}
		g := convGeom{c: 1 + rng.IntN(3), h: h, w: w, kh: win.kernel[0], kw: win.kernel[1],
			sh: win.stride[0], sw: win.stride[1], ph: win.padding[0], pw: win.padding[1], oh: oh, ow: ow}
		x := randomSlice(rng, g.c*h*w, 1)
		want := naiveIm2col(g, x)
		got := make([]float32, len(want))
		for i := range got {
			got[i] = 99 // im2col must overwrite every element
		}
		g.im2col(x, got)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%v: col[%d] = %v, want %v", g, i, got[i], want[i])
			}
		}
		// col2im is im2col's transpose: <im2col(x), y> == <x, col2im(y)>.
		y := randomSlice(rng, len(want), 1)
		dx := make([]float32, len(x))
		g.col2im(y, dx)
		var a, b float64
		for i := range y {
			a += float64(want[i]) * float64(y[i])
		}
		for i := range x {
			b += float64(x[i]) * float64(dx[i])
		}
		if d := a - b; d > 1e-4 || d < -1e-4 {
			t.Fatalf("%v: <im2col x, y> = %v but <x, col2im y> = %v", g, a, b)
		}
	}
}
