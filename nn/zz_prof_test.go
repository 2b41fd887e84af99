package nn

import (
	"math/rand/v2"
	"testing"
)

func BenchmarkZZLeNetEval(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	c1, _ := NewConv2D("c1", 1, 6, Pair(5), Pair(1), Pair(2), true, HeNormal, rng)
	r1, _ := NewActivation("r1", ReLU)
	p1, _ := NewMaxPool2D("p1", Pair(2), Pair(2), Pair(0))
	c2, _ := NewConv2D("c2", 6, 16, Pair(5), Pair(1), Pair(0), true, HeNormal, rng)
	r2, _ := NewActivation("r2", ReLU)
	p2, _ := NewMaxPool2D("p2", Pair(2), Pair(2), Pair(0))
	d1, _ := NewDense("d1", 400, 120, HeNormal, rng)
	r3, _ := NewActivation("r3", ReLU)
	d2, _ := NewDense("d2", 120, 84, HeNormal, rng)
	r4, _ := NewActivation("r4", ReLU)
	d3, _ := NewDense("d3", 84, 10, HeNormal, rng)
	m, _ := NewSequential([]int{1, 28, 28}, c1, r1, p1, c2, r2, p2, NewFlatten("f"), d1, r3, d2, r4, d3)
	for _, batch := range []int{1, 64} {
		p, _ := Compile(m, Evaluation, batch, nil)
		x := p.Input()
		for i := range x {
			if rng.IntN(5) == 0 {
				x[i] = rng.Float32()
			}
		}
		b.Run("", func(b *testing.B) {
			for b.Loop() {
				p.Run(nil)
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}
