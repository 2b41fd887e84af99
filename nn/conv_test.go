package nn

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/internal/testutil"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// built returns a function that fails t if a constructor returned an error,
// and otherwise its value: conv := built(NewConv2D(...))(t).
func built[L any](l L, err error) func(t testing.TB) L {
	return func(t testing.TB) L {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
}

func TestConv2DOutputShape(t *testing.T) {
	// Expected sizes from out = floor((in + 2p - k)/s) + 1, worked by hand.
	tests := []struct {
		name                    string
		kernel, stride, padding [2]int
		in                      []int
		want                    []int
		err                     string
	}{
		{"lenet conv1", Pair(5), Pair(1), Pair(2), []int{1, 28, 28}, []int{4, 28, 28}, ""},
		{"lenet conv2", Pair(5), Pair(1), Pair(0), []int{1, 14, 14}, []int{4, 10, 10}, ""},
		{"odd input stride 2 pad 1", Pair(3), Pair(2), Pair(1), []int{1, 7, 5}, []int{4, 4, 3}, ""},
		{"floor of odd stride", Pair(2), Pair(3), Pair(0), []int{1, 8, 9}, []int{4, 3, 3}, ""},
		{"rectangular", [2]int{3, 1}, [2]int{1, 2}, [2]int{0, 1}, []int{1, 5, 5}, []int{4, 3, 4}, ""},
		{"kernel equals padded input", Pair(5), Pair(1), Pair(1), []int{1, 3, 3}, []int{4, 1, 1}, ""},
		{"too small", Pair(5), Pair(1), Pair(0), []int{1, 4, 9}, nil, "height 4 (padded to 4) is smaller than the kernel height 5"},
		{"too small width", Pair(3), Pair(1), Pair(0), []int{1, 9, 2}, nil, "width 2"},
		{"wrong channels", Pair(3), Pair(1), Pair(0), []int{2, 9, 9}, nil, "wants 1 input channels"},
		{"not an image", Pair(3), Pair(1), Pair(0), []int{81}, nil, "[channels, height, width]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := built(NewConv2D("c", 1, 4, tc.kernel, tc.stride, tc.padding, true, HeUniform, rand.New(rand.NewPCG(1, 1))))(t)
			got, err := c.OutputShape(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("OutputShape(%v) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestNewConv2DErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	tests := []struct {
		name                    string
		in, out                 int
		kernel, stride, padding [2]int
		init                    Initializer
		err                     string
	}{
		{"zero channels", 0, 3, Pair(3), Pair(1), Pair(0), HeUniform, "channels must be positive"},
		{"zero kernel", 1, 3, [2]int{3, 0}, Pair(1), Pair(0), HeUniform, "kernel width must be positive, got 0"},
		{"zero stride", 1, 3, Pair(3), Pair(0), Pair(0), HeUniform, "stride height must be positive"},
		{"negative padding", 1, 3, Pair(3), Pair(1), [2]int{0, -1}, HeUniform, "padding width must not be negative"},
		{"no initializer", 1, 3, Pair(3), Pair(1), Pair(0), nil, "needs an initializer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewConv2D("c", tc.in, tc.out, tc.kernel, tc.stride, tc.padding, true, tc.init, rng)
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.HasPrefix(err.Error(), `nn: conv2d "c"`) {
				t.Fatalf("error = %v, want one containing %q", err, tc.err)
			}
		})
	}
}

// naiveConv2D is the textbook definition of PyTorch's Conv2d, one output
// element at a time: x [B, C, H, W], w [O, C, KH, KW], bias [O] or nil.
func naiveConv2D(x []float32, b, c, h, w int, wt []float32, o, kh, kw int, bias []float32, stride, pad [2]int) []float64 {
	oh := (h+2*pad[0]-kh)/stride[0] + 1
	ow := (w+2*pad[1]-kw)/stride[1] + 1
	out := make([]float64, 0, b*o*oh*ow)
	for n := 0; n < b; n++ {
		for f := 0; f < o; f++ {
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					var s float64
					if bias != nil {
						s = float64(bias[f])
					}
					for ch := 0; ch < c; ch++ {
						for ki := 0; ki < kh; ki++ {
							for kj := 0; kj < kw; kj++ {
								y, xx := i*stride[0]-pad[0]+ki, j*stride[1]-pad[1]+kj
								if y < 0 || y >= h || xx < 0 || xx >= w {
									continue
								}
								s += float64(x[((n*c+ch)*h+y)*w+xx]) * float64(wt[((f*c+ch)*kh+ki)*kw+kj])
							}
						}
					}
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// forwardOutputs runs an evaluation program of model on x and returns its
// outputs as float64.
func forwardOutputs(t *testing.T, model Model, batch int, x []float32) []float64 {
	t.Helper()
	p, err := Compile(model, Evaluation, batch, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	copy(p.Input(), x)
	if err := p.Run(nil); err != nil {
		t.Fatal(err)
	}
	out := make([]float64, len(p.Outputs()))
	for i, v := range p.Outputs() {
		out[i] = float64(v)
	}
	return out
}

func TestConv2DForwardMatchesNaive(t *testing.T) {
	tests := []struct {
		name                    string
		c, o, h, w              int
		kernel, stride, padding [2]int
		bias                    bool
	}{
		{"lenet-like 5x5 pad 2", 1, 3, 8, 8, Pair(5), Pair(1), Pair(2), true},
		{"stride 2 pad 1 odd 7x5", 2, 3, 7, 5, Pair(3), Pair(2), Pair(1), true},
		{"rectangular no bias", 3, 2, 6, 7, [2]int{3, 2}, [2]int{1, 2}, [2]int{1, 0}, false},
		{"1x1", 4, 2, 3, 3, Pair(1), Pair(1), Pair(0), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, 6))
			conv := built(NewConv2D("conv", tc.c, tc.o, tc.kernel, tc.stride, tc.padding, tc.bias, HeNormal, rng))(t)
			if tc.bias {
				copy(conv.Bias.Data(), randomSlice(rng, tc.o, 1))
			}
			model, err := NewSequential([]int{tc.c, tc.h, tc.w}, conv, NewFlatten("flat"))
			if err != nil {
				t.Fatal(err)
			}
			const batch = 2
			x := randomSlice(rng, batch*tc.c*tc.h*tc.w, 1)
			var bias []float32
			if tc.bias {
				bias = conv.Bias.Data()
			}
			want := naiveConv2D(x, batch, tc.c, tc.h, tc.w, conv.Weight.Data(), tc.o, tc.kernel[0], tc.kernel[1], bias, tc.stride, tc.padding)
			testutil.AllClose(t, "conv output", forwardOutputs(t, model, batch, x), want, 1e-5, 1e-5)
		})
	}
}

// convNet builds in -> conv(stride 2, pad 1) -> extra layers -> flatten ->
// dense(classes), with non-zero biases so ReLU kinks are unlikely to sit on
// a finite-difference step.
func convNet(t *testing.T, rng *rand.Rand, in []int, classes int, middle ...func(shape []int) Layer) Model {
	t.Helper()
	conv := built(NewConv2D("conv", in[0], 3, Pair(3), Pair(2), Pair(1), true, HeUniform, rng))(t)
	copy(conv.Bias.Data(), randomSlice(rng, 3, 0.5))
	layers := []Layer{conv}
	shape, err := conv.OutputShape(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range middle {
		l := m(shape)
		if shape, err = l.OutputShape(shape); err != nil {
			t.Fatal(err)
		}
		layers = append(layers, l)
	}
	flat := NewFlatten("flatten")
	shape, _ = flat.OutputShape(shape)
	dense := built(NewDense("dense", shape[0], classes, GlorotUniform, rng))(t)
	copy(dense.Bias.Data(), randomSlice(rng, classes, 0.5))
	model, err := NewSequential(in, append(layers, flat, dense)...)
	if err != nil {
		t.Fatal(err)
	}
	return model
}

func TestConv2DGradients(t *testing.T) {
	// Input 2x7x5, kernel 3, stride 2, padding 1: conv output 3x4x3.
	for _, loss := range []Loss{SoftmaxCrossEntropy{}, MSE{}} {
		t.Run(loss.Name(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(11, 12))
			model := convNet(t, rng, []int{2, 7, 5}, 3)
			const batch = 3
			var y []float32
			if loss.Classification() {
				y = oneHot(rng, batch, 3)
			} else {
				y = randomSlice(rng, batch*3, 1)
			}
			checkGradients(t, model, loss, batch, randomSlice(rng, batch*2*7*5, 1), y)
		})
	}
}

func TestConv2DWithoutBiasGradients(t *testing.T) {
	// Input 2x7x6, kernel 3x2, stride 2x1, padding 1x0, no bias: conv output
	// 3x4x5, batch 3 of different images.
	rng := rand.New(rand.NewPCG(13, 14))
	conv := built(NewConv2D("conv", 2, 3, [2]int{3, 2}, [2]int{2, 1}, [2]int{1, 0}, false, HeUniform, rng))(t)
	if len(conv.Params()) != 1 {
		t.Fatalf("a bias-free conv has %d parameters, want 1", len(conv.Params()))
	}
	flat := NewFlatten("flatten")
	dense := built(NewDense("dense", 3*4*5, 3, GlorotUniform, rng))(t)
	copy(dense.Bias.Data(), randomSlice(rng, 3, 0.5))
	model, err := NewSequential([]int{2, 7, 6}, conv, built(NewActivation("tanh", Tanh))(t), flat, dense)
	if err != nil {
		t.Fatal(err)
	}
	const batch = 3
	checkGradients(t, model, SoftmaxCrossEntropy{}, batch, randomSlice(rng, batch*2*7*6, 1), oneHot(rng, batch, 3))
}

// linearLoss is mean(outputs * target). Its gradient, target / size, does
// not depend on the outputs, so nothing outside the convolution's own ops
// orders its weight gradient after its forward pass.
type linearLoss struct{}

func (linearLoss) Name() string         { return "linear" }
func (linearLoss) Classification() bool { return false }
func (linearLoss) Build(g *Graph, outputs, target *G.Node) (loss *G.Node, err error) {
	defer catch(&err, "linear")
	return G.Mean(G.Must(G.HadamardProd(outputs, target)))
}

func TestConv2DGradientsWhenTheLossIsLinear(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	model := convNet(t, rng, []int{2, 7, 5}, 3)
	const batch = 2
	checkGradients(t, model, linearLoss{}, batch, randomSlice(rng, batch*2*7*5, 1), randomSlice(rng, batch*3, 1))
}

// TestConv2DImagesAndRunsAreIndependent checks that the op's reused buffers
// carry nothing between the images of a batch or between runs: every
// image's outputs and weight gradient in a batch of 9 (two weight-gradient
// groups) equal those of a batch-1 program, in training and evaluation, on
// two runs with different data.
func TestConv2DImagesAndRunsAreIndependent(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	in := []int{2, 9, 8}
	model := convNet(t, rng, in, 3, func([]int) Layer { return built(NewActivation("relu", ReLU))(t) })
	const batch = 9
	size := 2 * 9 * 8
	compile := func(mode Mode, batch int) *Program {
		p, err := Compile(model, mode, batch, MSE{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		return p
	}
	big, one := compile(Training, batch), compile(Training, 1)
	bigEval, oneEval := compile(Evaluation, batch), compile(Evaluation, 1)
	for run := 0; run < 2; run++ {
		x := randomSlice(rng, batch*size, 1)
		y := randomSlice(rng, batch*3, 1)
		copy(big.Input(), x)
		copy(big.Target(), y)
		copy(bigEval.Input(), x)
		if err := big.Run(nil); err != nil {
			t.Fatal(err)
		}
		if err := bigEval.Run(nil); err != nil {
			t.Fatal(err)
		}
		bigGrads, err := big.Grads(nil)
		if err != nil {
			t.Fatal(err)
		}
		// The MSE over the batch is the mean of the per-image MSEs, so the
		// batch gradient is the mean of the per-image gradients.
		sum := make([][]float64, len(bigGrads))
		for n := 0; n < batch; n++ {
			copy(one.Input(), x[n*size:(n+1)*size])
			copy(one.Target(), y[n*3:(n+1)*3])
			copy(oneEval.Input(), x[n*size:(n+1)*size])
			if err := one.Run(nil); err != nil {
				t.Fatal(err)
			}
			if err := oneEval.Run(nil); err != nil {
				t.Fatal(err)
			}
			for _, out := range []struct {
				what     string
				big, one []float32
			}{{"training", big.Outputs(), one.Outputs()}, {"evaluation", bigEval.Outputs(), oneEval.Outputs()}} {
				if !slices.Equal(out.big[n*3:(n+1)*3], out.one) {
					t.Fatalf("run %d image %d: %s outputs %v in the batch, %v alone", run, n, out.what, out.big[n*3:(n+1)*3], out.one)
				}
			}
			grads, err := one.Grads(nil)
			if err != nil {
				t.Fatal(err)
			}
			for i, g := range grads {
				if sum[i] == nil {
					sum[i] = make([]float64, len(g))
				}
				for j, v := range g {
					sum[i][j] += float64(v) / batch
				}
			}
		}
		for i, p := range big.Params() {
			testutil.AllClose(t, fmt.Sprintf("run %d %s", run, p.Name), f64s(bigGrads[i]), sum[i], 1e-6, 1e-4)
		}
	}
}

// TestConv2DMatchesGorgonia compares the op's forward pass with Gorgonia's
// own Conv2d (im2col, matrix product, NHWC to NCHW transpose), which the op
// replaced.
func TestConv2DMatchesGorgonia(t *testing.T) {
	tests := []struct {
		name                    string
		c, o, h, w              int
		kernel, stride, padding [2]int
	}{
		{"lenet conv1", 1, 6, 28, 28, Pair(5), Pair(1), Pair(2)},
		{"lenet conv2", 6, 16, 14, 14, Pair(5), Pair(1), Pair(0)},
		{"stride 2 pad 1 odd", 3, 4, 7, 5, Pair(3), Pair(2), Pair(1)},
		{"rectangular", 2, 3, 6, 9, [2]int{3, 2}, [2]int{1, 2}, [2]int{1, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(19, 20))
			const batch = 3
			x := tensor.New(tensor.WithShape(batch, tc.c, tc.h, tc.w), tensor.WithBacking(randomSlice(rng, batch*tc.c*tc.h*tc.w, 1)))
			w := tensor.New(tensor.WithShape(tc.o, tc.c, tc.kernel[0], tc.kernel[1]),
				tensor.WithBacking(randomSlice(rng, tc.o*tc.c*tc.kernel[0]*tc.kernel[1], 1)))
			g := G.NewGraph()
			xn := G.NodeFromAny(g, x, G.WithName("x"))
			wn := G.NodeFromAny(g, w, G.WithName("w"))
			theirs, err := G.Conv2d(xn, wn, tensor.Shape{tc.kernel[0], tc.kernel[1]}, tc.padding[:], tc.stride[:], []int{1, 1})
			if err != nil {
				t.Fatal(err)
			}
			ours, err := convolve(xn, wn, nil, window{tc.kernel, tc.stride, tc.padding}, false, false)
			if err != nil {
				t.Fatal(err)
			}
			vm := G.NewTapeMachine(g)
			defer vm.Close()
			if err := vm.RunAll(); err != nil {
				t.Fatal(err)
			}
			if !theirs.Shape().Eq(ours.Shape()) {
				t.Fatalf("shapes: Gorgonia %v, ours %v", theirs.Shape(), ours.Shape())
			}
			testutil.AllClose(t, "conv output", f64s(ours.Value().Data().([]float32)),
				f64s(theirs.Value().Data().([]float32)), 1e-5, 1e-5)
		})
	}
}
