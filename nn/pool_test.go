package nn

import (
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/internal/testutil"
)

func TestPool2DOutputShape(t *testing.T) {
	tests := []struct {
		name                    string
		kernel, stride, padding [2]int
		in                      []int
		want                    []int
		err                     string
	}{
		{"lenet 28 -> 14", Pair(2), Pair(2), Pair(0), []int{6, 28, 28}, []int{6, 14, 14}, ""},
		{"odd size floors", Pair(2), Pair(2), Pair(0), []int{2, 7, 5}, []int{2, 3, 2}, ""},
		{"3x3 stride 2 pad 1", Pair(3), Pair(2), Pair(1), []int{1, 7, 5}, []int{1, 4, 3}, ""},
		{"overlapping stride 1", Pair(3), Pair(1), Pair(0), []int{1, 4, 6}, []int{1, 2, 4}, ""},
		{"input 1x1 too small", Pair(2), Pair(2), Pair(0), []int{16, 1, 1}, nil, "input height 1 (padded to 1) is smaller than the kernel height 2"},
		{"not an image", Pair(2), Pair(2), Pair(0), []int{16, 4}, nil, "[channels, height, width]"},
	}
	for _, kind := range []string{MaxPool, AvgPool} {
		for _, tc := range tests {
			t.Run(kind+"/"+tc.name, func(t *testing.T) {
				p := built(newPool2D("pool", kind, window{tc.kernel, tc.stride, tc.padding}))(t)
				got, err := p.OutputShape(tc.in)
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
}

func TestNewPool2DErrors(t *testing.T) {
	tests := []struct {
		name                    string
		kernel, stride, padding [2]int
		err                     string
	}{
		{"zero stride", Pair(2), Pair(0), Pair(0), "stride height must be positive"},
		{"zero kernel", [2]int{2, 0}, Pair(1), Pair(0), "kernel width must be positive"},
		{"padding over half the kernel", Pair(3), Pair(1), Pair(2), "padding [2 2] must be at most half the kernel [3 3]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewAvgPool2D("p", tc.kernel, tc.stride, tc.padding)
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.HasPrefix(err.Error(), `nn: avgpool2d "p"`) {
				t.Fatalf("error = %v, want one containing %q", err, tc.err)
			}
		})
	}
}

// naivePool2D pools x [B, C, H, W] the way PyTorch's MaxPool2d and
// AvgPool2d (count_include_pad=True) define it.
func naivePool2D(kind string, x []float32, planes, h, w int, win window) []float64 {
	oh, ow, _ := win.outputHW(h, w)
	var out []float64
	for p := 0; p < planes; p++ {
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				best, sum := math.Inf(-1), 0.0
				for ki := 0; ki < win.kernel[0]; ki++ {
					for kj := 0; kj < win.kernel[1]; kj++ {
						y, xx := i*win.stride[0]-win.padding[0]+ki, j*win.stride[1]-win.padding[1]+kj
						if y < 0 || y >= h || xx < 0 || xx >= w {
							continue
						}
						v := float64(x[(p*h+y)*w+xx])
						best = math.Max(best, v)
						sum += v
					}
				}
				if kind == MaxPool {
					out = append(out, best)
				} else {
					out = append(out, sum/float64(win.kernel[0]*win.kernel[1]))
				}
			}
		}
	}
	return out
}

var poolCases = []struct {
	name string
	win  window
}{
	{"2x2 stride 2", window{Pair(2), Pair(2), Pair(0)}},
	{"3x3 stride 2 pad 1", window{Pair(3), Pair(2), Pair(1)}},
	{"3x2 stride 1x2 pad 1x0", window{[2]int{3, 2}, [2]int{1, 2}, [2]int{1, 0}}},
}

func TestPool2DForwardMatchesNaive(t *testing.T) {
	for _, kind := range []string{MaxPool, AvgPool} {
		for _, tc := range poolCases {
			t.Run(kind+"/"+tc.name, func(t *testing.T) {
				rng := rand.New(rand.NewPCG(2, 3))
				pool := built(newPool2D("pool", kind, tc.win))(t)
				model, err := NewSequential([]int{2, 7, 5}, pool, NewFlatten("flat"))
				if err != nil {
					t.Fatal(err)
				}
				const batch = 2
				x := randomSlice(rng, batch*2*7*5, 1)
				want := naivePool2D(kind, x, batch*2, 7, 5, tc.win)
				testutil.AllClose(t, kind+" pool output", forwardOutputs(t, model, batch, x), want, 1e-6, 1e-6)
			})
		}
	}
}

func TestPool2DGradients(t *testing.T) {
	// conv (stride 2, pad 1) turns 2x9x7 into 3x5x4, which each pool takes.
	// Max pooling is not differentiable where two values of a window tie,
	// and a finite difference straddling a near-tie is wrong: with seed
	// (13, 14) the h=1e-3 estimate for conv/weight[1] is 1.087 against an
	// analytic 1.019, and it falls to 1.018 at h=1e-4. The seed below has no
	// such near-tie.
	for _, kind := range []string{MaxPool, AvgPool} {
		for _, tc := range poolCases {
			t.Run(kind+"/"+tc.name, func(t *testing.T) {
				rng := rand.New(rand.NewPCG(1, 14))
				model := convNet(t, rng, []int{2, 9, 7}, 3, func([]int) Layer {
					return built(newPool2D("pool", kind, tc.win))(t)
				})
				const batch = 2
				checkGradients(t, model, SoftmaxCrossEntropy{}, batch, randomSlice(rng, batch*2*9*7, 1), oneHot(rng, batch, 3))
			})
		}
	}
}

func TestFlatten(t *testing.T) {
	f := NewFlatten("flat")
	for _, tc := range []struct {
		in   []int
		want []int
		err  string
	}{
		{[]int{16, 5, 5}, []int{400}, ""},
		{[]int{3, 1, 7}, []int{21}, ""},
		{[]int{10}, []int{10}, ""},
		{[]int{3, 0, 7}, nil, "non-positive dimension"},
	} {
		got, err := f.OutputShape(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("OutputShape(%v) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("OutputShape(%v) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	t.Run("row-major order", func(t *testing.T) {
		model, err := NewSequential([]int{2, 2, 3}, f)
		if err != nil {
			t.Fatal(err)
		}
		x := make([]float32, 2*12)
		want := make([]float64, len(x))
		for i := range x {
			x[i] = float32(i)
			want[i] = float64(i)
		}
		testutil.AllClose(t, "flatten", forwardOutputs(t, model, 2, x), want, 0, 0)
	})
	t.Run("gradients", func(t *testing.T) {
		// conv -> flatten -> dense: the conv weight gradient flows back
		// through the reshape.
		rng := rand.New(rand.NewPCG(15, 16))
		model := convNet(t, rng, []int{1, 5, 6}, 2)
		checkGradients(t, model, MSE{}, 2, randomSlice(rng, 2*30, 1), randomSlice(rng, 4, 1))
	})
}
