package cnn

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkLeNet5TrainStep measures one training step of LeNet-5 on MNIST
// sized inputs: forward, loss, backward, and reading every gradient (the
// optimizer update is left out).
func BenchmarkLeNet5TrainStep(b *testing.B) {
	for _, batch := range []int{64} {
		b.Run(fmt.Sprintf("batch%d", batch), func(b *testing.B) {
			m, err := NewLeNet5(LeNet5Config{}, rand.New(rand.NewPCG(1, 2)))
			if err != nil {
				b.Fatal(err)
			}
			p := trainingProgram(b, m, batch)
			defer p.Close()
			var grads [][]float32
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if err := p.Run(nil); err != nil {
					b.Fatal(err)
				}
				if grads, err = p.Grads(grads); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}
