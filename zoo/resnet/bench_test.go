package resnet

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gozoo/gozoo/nn"
)

// BenchmarkResNet20 times one training run (forward and backward, no
// optimizer) and one evaluation run of ResNet-20, in samples/s.
func BenchmarkResNet20(b *testing.B) {
	for _, input := range [][3]int{{1, 28, 28}, {3, 32, 32}} {
		for _, mode := range []nn.Mode{nn.Training, nn.Evaluation} {
			const batch = 128
			b.Run(fmt.Sprintf("%dx%dx%d/%s/batch%d", input[0], input[1], input[2], mode, batch), func(b *testing.B) {
				m, err := New(ResNet20(input, 10), rand.New(rand.NewPCG(1, 0)))
				if err != nil {
					b.Fatal(err)
				}
				p, err := nn.Compile(m, mode, batch, nn.SoftmaxCrossEntropy{})
				if err != nil {
					b.Fatal(err)
				}
				defer p.Close()
				rng := rand.New(rand.NewPCG(2, 0))
				for i := range p.Input() {
					p.Input()[i] = rng.Float32()
				}
				for i := 0; i < batch; i++ {
					p.Target()[i*10+rng.IntN(10)] = 1
				}
				if err := p.Run(rng); err != nil { // buffers are allocated on the first run
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					if err := p.Run(rng); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "samples/s")
			})
		}
	}
}
