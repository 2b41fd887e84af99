package recipes

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/gozoo/gozoo/io/loader"
	"github.com/gozoo/gozoo/nn"
	"github.com/gozoo/gozoo/optim"
	"github.com/gozoo/gozoo/zoo"
)

// sparsePixels is an MNIST-shaped dataset whose images, like MNIST's, are
// mostly zeros.
type sparsePixels struct {
	*pixels
	shape []int
}

func (p sparsePixels) InputShape() []int { return p.shape }

// Training gives the same weights, bit for bit, whatever GOMAXPROCS is:
// the matrix products and the convolutions split their work over the
// cores by output, never along a sum.
func TestTrainingIgnoresGOMAXPROCS(t *testing.T) {
	if testing.Short() {
		t.Skip("trains 2 models 3 times")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	base := newPixels(640)
	for i := range base.px {
		if i%5 != 0 {
			base.px[i] = 0
		}
	}
	for _, tc := range []struct {
		preset string
		shape  []int
	}{{"mlp", []int{784}}, {"lenet5", []int{1, 28, 28}}} {
		t.Run(tc.preset, func(t *testing.T) {
			var data loader.Dataset = sparsePixels{base, tc.shape}
			train := func(procs int) [][]float32 {
				runtime.GOMAXPROCS(procs)
				p, err := zoo.PresetNamed(tc.preset)
				if err != nil {
					t.Fatal(err)
				}
				m, err := p.Build(rand.New(rand.NewPCG(1, 0)))
				if err != nil {
					t.Fatal(err)
				}
				opt, _ := optim.New("adam", optim.Common{LearningRate: 0.001})
				tr, err := NewTrainer(m, nn.SoftmaxCrossEntropy{}, opt, 1)
				if err != nil {
					t.Fatal(err)
				}
				defer tr.Close()
				if _, err := tr.Fit(context.Background(), data, FitOptions{Epochs: 1, BatchSize: 64}); err != nil {
					t.Fatal(err)
				}
				var w [][]float32
				for _, prm := range m.Params() {
					w = append(w, append([]float32(nil), prm.Data()...))
				}
				return w
			}
			want := train(1)
			for _, procs := range []int{2, 3} {
				got := train(procs)
				for i := range want {
					for j := range want[i] {
						if math.Float32bits(got[i][j]) != math.Float32bits(want[i][j]) {
							t.Fatalf("GOMAXPROCS=%d: parameter %d[%d] = %v, GOMAXPROCS=1 gives %v", procs, i, j, got[i][j], want[i][j])
						}
					}
				}
			}
		})
	}
}
