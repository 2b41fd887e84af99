package nn

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/internal/testutil"
	G "gorgonia.org/gorgonia"
)

// naiveBatchNorm normalises x [B, C, S] (S values per channel per sample)
// with batch statistics, and returns y, the batch means and the biased
// batch variances.
func naiveBatchNorm(x []float32, b, c, s int, gamma, beta []float32) (y, mean, variance []float64) {
	n := float64(b * s)
	mean, variance = make([]float64, c), make([]float64, c)
	at := func(i, ch, k int) int { return (i*c+ch)*s + k }
	for ch := 0; ch < c; ch++ {
		for i := 0; i < b; i++ {
			for k := 0; k < s; k++ {
				mean[ch] += float64(x[at(i, ch, k)]) / n
			}
		}
		for i := 0; i < b; i++ {
			for k := 0; k < s; k++ {
				d := float64(x[at(i, ch, k)]) - mean[ch]
				variance[ch] += d * d / n
			}
		}
	}
	y = make([]float64, len(x))
	for i := 0; i < b; i++ {
		for ch := 0; ch < c; ch++ {
			for k := 0; k < s; k++ {
				j := at(i, ch, k)
				y[j] = (float64(x[j])-mean[ch])/math.Sqrt(variance[ch]+1e-5)*float64(gamma[ch]) + float64(beta[ch])
			}
		}
	}
	return y, mean, variance
}

func TestBatchNormOutputShape(t *testing.T) {
	bn2, _ := NewBatchNorm2D("bn", 3)
	bn1, _ := NewBatchNorm1D("bn", 4)
	for _, tc := range []struct {
		name string
		bn   *BatchNorm
		in   []int
		err  string
	}{
		{"2d ok", bn2, []int{3, 5, 1}, ""},
		{"2d wrong channels", bn2, []int{4, 5, 5}, "wants 3 channels"},
		{"2d vector input", bn2, []int{3}, "[channels, height, width]"},
		{"1d ok", bn1, []int{4}, ""},
		{"1d wrong features", bn1, []int{5}, "wants 4 features"},
		{"1d image input", bn1, []int{4, 2, 2}, "wants 4 features"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.bn.OutputShape(tc.in)
			if tc.err == "" {
				if err != nil || len(got) != len(tc.in) {
					t.Fatalf("OutputShape(%v) = %v, %v", tc.in, got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error = %v, want one containing %q", err, tc.err)
			}
		})
	}
	if _, err := NewBatchNorm2D("bn", 0); err == nil || !strings.Contains(err.Error(), `nn: batchnorm "bn": size must be positive`) {
		t.Errorf("NewBatchNorm2D(0) error = %v", err)
	}
}

func TestBatchNormParams(t *testing.T) {
	bn, _ := NewBatchNorm2D("bn1", 2)
	want := []struct {
		name      string
		trainable bool
		value     float32
	}{{"bn1/gamma", true, 1}, {"bn1/beta", true, 0}, {"bn1/running_mean", false, 0}, {"bn1/running_var", false, 1}}
	ps := bn.Params()
	if len(ps) != len(want) {
		t.Fatalf("%d params, want %d", len(ps), len(want))
	}
	for i, w := range want {
		p := ps[i]
		if p.Name != w.name || p.Trainable != w.trainable || p.Data()[0] != w.value || p.Data()[1] != w.value {
			t.Errorf("param %d = %s trainable=%v %v, want %s trainable=%v all %v", i, p.Name, p.Trainable, p.Data(), w.name, w.trainable, w.value)
		}
	}
}

// bnNet is [C, H, W] -> batchnorm2d -> tap -> flatten, with random gamma and
// beta, or [F] -> batchnorm1d -> tap when spatial is false.
func bnNet(t *testing.T, rng *rand.Rand, in []int) (Model, *BatchNorm, *tap) {
	t.Helper()
	var bn *BatchNorm
	tp := &tap{}
	layers := []Layer{nil, tp}
	if len(in) == 3 {
		bn = built(NewBatchNorm2D("bn", in[0]))(t)
		layers = append(layers, NewFlatten("flatten"))
	} else {
		bn = built(NewBatchNorm1D("bn", in[0]))(t)
	}
	layers[0] = bn
	copy(bn.Gamma.Data(), randomSlice(rng, in[0], 1))
	copy(bn.Beta.Data(), randomSlice(rng, in[0], 1))
	model, err := NewSequential(in, layers...)
	if err != nil {
		t.Fatal(err)
	}
	return model, bn, tp
}

func float64s(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func TestBatchNormTrainingAndEvaluation(t *testing.T) {
	tests := []struct {
		name  string
		in    []int
		batch int
	}{
		{"2d", []int{3, 4, 5}, 4},
		{"2d 1x1 images", []int{2, 1, 1}, 5},
		{"1d", []int{6}, 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(21, 22))
			model, bn, tp := bnNet(t, rng, tc.in)
			c, s := tc.in[0], 1
			for _, d := range tc.in[1:] {
				s *= d
			}
			// Channels with different offsets and spreads, so batch and
			// running statistics are far apart.
			x := make([]float32, tc.batch*c*s)
			for i := range x {
				ch := i / s % c
				x[i] = float32(float64(ch+1)*rng.NormFloat64() + 3*float64(ch))
			}
			wantY, mean, variance := naiveBatchNorm(x, tc.batch, c, s, bn.Gamma.Data(), bn.Beta.Data())

			train := built(Compile(model, Training, tc.batch, MSE{}))(t)
			defer train.Close()
			copy(train.Input(), x)
			if err := train.Run(nil); err != nil {
				t.Fatal(err)
			}
			testutil.AllClose(t, "training output (batch statistics)", tp.values(t), wantY, 1e-4, 1e-4)

			// Running statistics after one step from (0, 1), momentum 0.1,
			// unbiased variance.
			n := float64(tc.batch * s)
			wantMean, wantVar := make([]float64, c), make([]float64, c)
			for ch := range wantMean {
				wantMean[ch] = 0.1 * mean[ch]
				wantVar[ch] = 0.9 + 0.1*variance[ch]*n/(n-1)
			}
			testutil.AllClose(t, "running mean", float64s(bn.RunningMean.Data()), wantMean, 1e-5, 1e-5)
			testutil.AllClose(t, "running var", float64s(bn.RunningVar.Data()), wantVar, 1e-5, 1e-5)

			// Evaluation normalises with the running statistics and leaves
			// them alone.
			runMean := append([]float32(nil), bn.RunningMean.Data()...)
			runVar := append([]float32(nil), bn.RunningVar.Data()...)
			wantEval := make([]float64, len(x))
			for i := range x {
				ch := i / s % c
				wantEval[i] = (float64(x[i])-float64(runMean[ch]))/math.Sqrt(float64(runVar[ch])+1e-5)*float64(bn.Gamma.Data()[ch]) + float64(bn.Beta.Data()[ch])
			}
			eval := built(Compile(model, Evaluation, tc.batch, nil))(t)
			defer eval.Close()
			copy(eval.Input(), x)
			for range 2 {
				if err := eval.Run(nil); err != nil {
					t.Fatal(err)
				}
			}
			testutil.AllClose(t, "evaluation output (running statistics)", float64s(eval.Outputs()), wantEval, 1e-4, 1e-4)
			testutil.AllClose(t, "running mean after evaluation", float64s(bn.RunningMean.Data()), float64s(runMean), 0, 0)
			testutil.AllClose(t, "running var after evaluation", float64s(bn.RunningVar.Data()), float64s(runVar), 0, 0)

			// A second training step moves the running statistics again.
			if err := train.Run(nil); err != nil {
				t.Fatal(err)
			}
			for ch := range wantMean {
				wantMean[ch] = 0.9*float64(runMean[ch]) + 0.1*mean[ch]
			}
			testutil.AllClose(t, "running mean after two steps", float64s(bn.RunningMean.Data()), wantMean, 1e-5, 1e-5)
		})
	}
}

func TestBatchNormTrainingNeedsTwoValues(t *testing.T) {
	model, _, _ := bnNet(t, rand.New(rand.NewPCG(1, 1)), []int{4})
	if _, err := Compile(model, Training, 1, MSE{}); err == nil || !strings.Contains(err.Error(), "more than one value per channel") {
		t.Fatalf("training with batch 1: error = %v", err)
	}
	p, err := Compile(model, Evaluation, 1, nil)
	if err != nil {
		t.Fatalf("evaluation with batch 1: %v", err)
	}
	p.Close()
}

// trainingForward builds its model in training mode whatever graph it is
// given, so that checkGradients' finite differences (taken through an
// evaluation program) see the batch statistics that the training gradients
// are of. Its running-statistics updates are harmless here.
type trainingForward struct{ Model }

func (m trainingForward) Forward(g *Graph, x *G.Node) (*G.Node, error) {
	mode := g.Mode
	g.Mode = Training
	defer func() { g.Mode = mode }()
	return m.Model.Forward(g, x)
}

func TestBatchNormGradients(t *testing.T) {
	t.Run("1d", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(31, 32))
		d1 := built(NewDense("d1", 4, 5, GlorotUniform, rng))(t)
		bn := built(NewBatchNorm1D("bn", 5))(t)
		copy(bn.Gamma.Data(), randomSlice(rng, 5, 1))
		copy(bn.Beta.Data(), randomSlice(rng, 5, 1))
		d2 := built(NewDense("d2", 5, 3, GlorotUniform, rng))(t)
		model := built(NewSequential([]int{4}, d1, bn, d2))(t)
		checkGradients(t, trainingForward{model}, SoftmaxCrossEntropy{}, 6, randomSlice(rng, 24, 1), oneHot(rng, 6, 3))
	})
	t.Run("2d", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(33, 34))
		model := convNet(t, rng, []int{2, 7, 5}, 3, func(shape []int) Layer {
			bn := built(NewBatchNorm2D("bn", shape[0]))(t)
			copy(bn.Gamma.Data(), randomSlice(rng, shape[0], 1))
			copy(bn.Beta.Data(), randomSlice(rng, shape[0], 1))
			return bn
		})
		checkGradients(t, trainingForward{model}, MSE{}, 3, randomSlice(rng, 3*70, 1), randomSlice(rng, 9, 1))
	})
}

// TestConvNetGradients checks a whole small network: conv, batchnorm, ReLU,
// max pooling, a second conv, average pooling, flatten, dropout-free dense
// layers.
func TestConvNetGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	conv2 := built(NewConv2D("conv2", 3, 4, Pair(3), Pair(1), Pair(1), true, HeUniform, rng))(t)
	copy(conv2.Bias.Data(), randomSlice(rng, 4, 0.5))
	model := convNet(t, rng, []int{1, 12, 10}, 4,
		func(shape []int) Layer { return built(NewBatchNorm2D("bn", shape[0]))(t) },
		func([]int) Layer { return built(NewActivation("relu", ReLU))(t) },
		func([]int) Layer { return built(NewMaxPool2D("maxpool", Pair(2), Pair(2), Pair(0)))(t) },
		func([]int) Layer { return conv2 },
		func([]int) Layer { return built(NewAvgPool2D("avgpool", Pair(2), Pair(1), Pair(1)))(t) },
	)
	const batch = 3
	checkGradients(t, trainingForward{model}, SoftmaxCrossEntropy{}, batch, randomSlice(rng, batch*120, 1), oneHot(rng, batch, 4))
}

// The batch norm ops spread channels over goroutines; their outputs and
// gradients do not depend on how many.
func TestBatchNormIgnoresWorkers(t *testing.T) {
	defer func(f func() int) { convWorkers = f }(convWorkers)
	rng := rand.New(rand.NewPCG(51, 52))
	model := convNet(t, rng, []int{2, 6, 6}, 3, func(shape []int) Layer {
		bn := built(NewBatchNorm2D("bn", shape[0]))(t)
		copy(bn.Gamma.Data(), randomSlice(rng, shape[0], 1))
		copy(bn.Beta.Data(), randomSlice(rng, shape[0], 1))
		return bn
	})
	x, y := randomSlice(rng, 4*72, 1), oneHot(rng, 4, 3)
	run := func(workers int) [][]float32 {
		convWorkers = func() int { return workers }
		p := built(Compile(model, Training, 4, SoftmaxCrossEntropy{}))(t)
		defer p.Close()
		copy(p.Input(), x)
		copy(p.Target(), y)
		if err := p.Run(nil); err != nil {
			t.Fatal(err)
		}
		grads, err := p.Grads(nil)
		if err != nil {
			t.Fatal(err)
		}
		out := [][]float32{append([]float32(nil), p.Outputs()...)}
		for _, g := range grads {
			out = append(out, append([]float32(nil), g...))
		}
		return out
	}
	want := run(1)
	got := run(3)
	for i := range want {
		for j := range want[i] {
			if math.Float32bits(got[i][j]) != math.Float32bits(want[i][j]) {
				t.Fatalf("3 workers: value %d[%d] = %v, 1 worker gives %v", i, j, got[i][j], want[i][j])
			}
		}
	}
}
