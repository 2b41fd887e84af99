package recipes

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/gozoo/gozoo/nn"
	"github.com/gozoo/gozoo/optim"
	"github.com/gozoo/gozoo/zoo/mlp"
)

// pixels is an MNIST-shaped synthetic dataset: uint8 images scaled per
// sample, like io/mnist.
type pixels struct {
	px     []uint8
	labels []int
}

func newPixels(n int) *pixels {
	rng := rand.New(rand.NewPCG(1, 1))
	p := &pixels{px: make([]uint8, n*784), labels: make([]int, n)}
	for i := range p.px {
		p.px[i] = uint8(rng.IntN(256))
	}
	for i := range p.labels {
		p.labels[i] = rng.IntN(10)
	}
	return p
}

func (p *pixels) Len() int          { return len(p.labels) }
func (p *pixels) InputShape() []int { return []int{784} }
func (p *pixels) Input(i int, dst []float32) {
	for j, v := range p.px[i*784 : (i+1)*784] {
		dst[j] = float32(v) / 255
	}
}
func (p *pixels) Classes() int    { return 10 }
func (p *pixels) Label(i int) int { return p.labels[i] }

// BenchmarkFitSeedMLP measures the trainer on the seed MLP (784-128-64-10,
// Adam, batch 64): one b.N is one epoch of 6,400 samples.
func BenchmarkFitSeedMLP(b *testing.B) {
	data := newPixels(6400)
	for _, cfg := range []struct {
		name string
		mlp  mlp.Config
	}{{"paddle", mlp.Paddle()}, {"mindspore", mlp.MindSpore()}} {
		b.Run(cfg.name, func(b *testing.B) {
			m, _ := mlp.New(cfg.mlp, rand.New(rand.NewPCG(1, 0)))
			opt, _ := optim.New("adam", optim.Common{LearningRate: 0.001})
			tr, _ := NewTrainer(m, nn.SoftmaxCrossEntropy{}, opt, 1)
			defer tr.Close()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := tr.Fit(context.Background(), data, FitOptions{Epochs: tr.Epoch + 1, BatchSize: 64}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*data.Len())/b.Elapsed().Seconds(), "samples/s")
		})
	}
}
