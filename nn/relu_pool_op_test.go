package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gozoo/gozoo/internal/testutil"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// runGraph builds cost = sum(f(x) * w) in a fresh graph for each input in
// xs (same shape), runs the one machine over them in turn, and returns
// f(x) and d cost / dx of every run. w is the output gradient dy.
func runGraph(t *testing.T, shape []int, xs [][]float32, w []float32, f func(*G.Node) (*G.Node, error)) (ys, dxs [][]float32) {
	t.Helper()
	g := G.NewGraph()
	x := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(slices.Clone(xs[0])))
	xn := G.NodeFromAny(g, x, G.WithName("x"))
	y, err := f(xn)
	if err != nil {
		t.Fatal(err)
	}
	if y.Shape().TotalSize() != len(w) {
		t.Fatalf("output %v, but %d output gradients", y.Shape(), len(w))
	}
	wn := G.NodeFromAny(g, tensor.New(tensor.WithShape(y.Shape().Clone()...), tensor.WithBacking(w)), G.WithName("w"))
	cost := G.Must(G.Sum(G.Must(G.HadamardProd(y, wn))))
	grads, err := G.Grad(cost, xn)
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	for _, data := range xs {
		copy(x.Data().([]float32), data)
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		ys = append(ys, slices.Clone(y.Value().Data().([]float32)))
		dxs = append(dxs, slices.Clone(grads[0].Value().Data().([]float32)))
	}
	return ys, dxs
}

// withWorkers runs f with the ops spread over 1 and then 3 goroutines.
func withWorkers(t *testing.T, f func(t *testing.T)) {
	defer func(f func() int) { convWorkers = f }(convWorkers)
	for _, n := range []int{1, 3} {
		convWorkers = func() int { return n }
		t.Run(fmt.Sprintf("workers=%d", n), f)
	}
}

var negZero = float32(math.Copysign(0, -1))

// tiedSlice draws from a few values, ±0 among them, so that most pooling
// windows hold ties.
func tiedSlice(rng *rand.Rand, n int) []float32 {
	vals := []float32{-1, negZero, 0, 0.5, 1, 1}
	s := make([]float32, n)
	for i := range s {
		s[i] = vals[rng.IntN(len(vals))]
	}
	return s
}

// TestMaxPoolMatchesGorgonia runs the op and Gorgonia's MaxPool2D, which
// it replaced, forward and backward over the same inputs and output
// gradients, twice with different data through one machine, and wants
// the same bits: outputs, which element of a tie wins (its input gets the
// gradient), padding, overlapping windows, NaN and infinities.
func TestMaxPoolMatchesGorgonia(t *testing.T) {
	tests := []struct {
		name string
		win  window
		h, w int
	}{
		{"2x2 stride 2", window{Pair(2), Pair(2), Pair(0)}, 8, 8},
		{"2x2 stride 2 odd size", window{Pair(2), Pair(2), Pair(0)}, 7, 5},
		{"2x2 stride 1", window{Pair(2), Pair(1), Pair(0)}, 5, 6},
		{"3x3 stride 2 pad 1", window{Pair(3), Pair(2), Pair(1)}, 7, 9},
		{"3x3 stride 2 pad 1 even size", window{Pair(3), Pair(2), Pair(1)}, 8, 6},
		{"3x3 stride 1", window{Pair(3), Pair(1), Pair(0)}, 6, 5},
		{"3x3 stride 1 pad 1", window{Pair(3), Pair(1), Pair(1)}, 5, 7},
		{"3x2 stride 1x2 pad 1x0", window{[2]int{3, 2}, [2]int{1, 2}, [2]int{1, 0}}, 7, 5},
	}
	const batch, channels = 3, 2
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			oh, ow, err := tc.win.outputHW(tc.h, tc.w)
			if err != nil {
				t.Fatal(err)
			}
			shape := []int{batch, channels, tc.h, tc.w}
			n := batch * channels * tc.h * tc.w
			rng := rand.New(rand.NewPCG(21, 22))
			specials := randomSlice(rng, n, 1)
			// NaN and infinities on odd squares of a checkerboard: every
			// window here holds two neighbours, so one ordinary value.
			for i := range specials {
				if y, x := i/tc.w, i%tc.w; (y+x)%2 == 1 && rng.IntN(3) == 0 {
					specials[i] = []float32{float32(math.NaN()), float32(math.Inf(-1)), float32(math.Inf(1))}[rng.IntN(3)]
				}
			}
			xs := [][]float32{tiedSlice(rng, n), randomSlice(rng, n, 1), specials}
			dy := randomSlice(rng, batch*channels*oh*ow, 1)
			theirY, theirDX := runGraph(t, shape, xs, dy, func(x *G.Node) (*G.Node, error) {
				return G.MaxPool2D(x, tensor.Shape{tc.win.kernel[0], tc.win.kernel[1]}, tc.win.padding[:], tc.win.stride[:])
			})
			withWorkers(t, func(t *testing.T) {
				ourY, ourDX := runGraph(t, shape, xs, dy, func(x *G.Node) (*G.Node, error) {
					return maxPool(x, tc.win, oh, ow, true)
				})
				for run := range xs {
					testutil.SameBits(t, fmt.Sprintf("run %d: y", run), ourY[run], theirY[run])
					testutil.SameBits(t, fmt.Sprintf("run %d: dx", run), ourDX[run], theirDX[run])
				}
			})
		})
	}
}

// A window holding nothing above -MaxFloat32 gives -MaxFloat32, as
// Gorgonia's does, and passes no gradient back, where Gorgonia's gradient
// op indexes its mask's -1 and panics.
func TestMaxPoolWindowWithoutWinner(t *testing.T) {
	st := &maxPoolState{win: window{Pair(2), Pair(2), Pair(0)}, in: [4]int{1, 1, 2, 4}, out: [2]int{1, 2}, keep: true}
	inf, nan := float32(math.Inf(-1)), float32(math.NaN())
	x := tensor.New(tensor.WithShape(1, 1, 2, 4), tensor.WithBacking([]float32{inf, nan, 3, inf, nan, inf, nan, inf}))
	y, err := maxPoolOp{st, &reused{}}.Do(x)
	if err != nil {
		t.Fatal(err)
	}
	if got := y.Data().([]float32); got[0] != -math.MaxFloat32 || got[1] != 3 {
		t.Fatalf("y = %v, want [-MaxFloat32 3]", got)
	}
	dy := tensor.New(tensor.WithShape(1, 1, 1, 2), tensor.WithBacking([]float32{5, 7}))
	dx, err := maxPoolGradOp{st, &reused{}}.Do(y, dy)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := dx.Data().([]float32), []float32{0, 0, 7, 0, 0, 0, 0, 0}; !slices.Equal(got, want) {
		t.Fatalf("dx = %v, want %v", got, want)
	}
	// Gorgonia's forward agrees.
	g := G.NewGraph()
	theirs := G.Must(G.MaxPool2D(G.NodeFromAny(g, x), tensor.Shape{2, 2}, []int{0, 0}, []int{2, 2}))
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	testutil.SameBits(t, "y", y.Data().([]float32), theirs.Value().Data().([]float32))
}

func TestMaxPoolOpErrors(t *testing.T) {
	st := &maxPoolState{win: window{Pair(2), Pair(2), Pair(0)}, in: [4]int{2, 1, 4, 4}, out: [2]int{2, 2}, keep: true}
	dense := func(shape ...int) *tensor.Dense {
		return tensor.New(tensor.WithShape(shape...), tensor.Of(tensor.Float32))
	}
	y, dy := dense(2, 1, 2, 2), dense(2, 1, 2, 2)
	if _, err := (maxPoolGradOp{st, &reused{}}).Do(y, dy); err == nil {
		t.Error("gradient before a forward pass: no error")
	}
	if _, err := (maxPoolOp{st, &reused{}}).Do(dense(3, 1, 4, 4)); err == nil {
		t.Error("forward over a batch of 3 for a batch of 2: no error")
	}
	if _, err := (maxPoolOp{st, &reused{}}).Do(tensor.New(tensor.WithShape(2, 1, 4, 4), tensor.Of(tensor.Float64))); err == nil {
		t.Error("float64 input: no error")
	}
	if _, err := (maxPoolOp{st, &reused{}}).Do(dense(2, 1, 4, 4)); err != nil {
		t.Fatal(err)
	}
	if _, err := (maxPoolGradOp{st, &reused{}}).Do(y, dense(2, 1, 3, 2)); err == nil {
		t.Error("gradient of the wrong shape: no error")
	}
	eval := &maxPoolState{win: st.win, in: st.in, out: st.out}
	if _, err := (maxPoolOp{eval, &reused{}}).Do(dense(2, 1, 4, 4)); err != nil {
		t.Fatal(err)
	}
	if _, err := (maxPoolGradOp{eval, &reused{}}).Do(y, dy); err == nil {
		t.Error("gradient of an evaluation op: no error")
	}
}

// The training and evaluation programs of one model each get their own
// pooling state, so neither overwrites the other's winners.
func TestMaxPoolStatePerProgram(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 9))
	model := convNet(t, rng, []int{1, 8, 8}, 2, func([]int) Layer {
		return built(NewMaxPool2D("pool", Pair(2), Pair(2), Pair(0)))(t)
	})
	states := map[*maxPoolState]Mode{}
	for _, mode := range []Mode{Training, Evaluation, Training} {
		p, err := Compile(model, mode, 2, MSE{})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		found := 0
		for _, n := range p.graph.AllNodes() {
			if op, ok := n.Op().(maxPoolOp); ok {
				found++
				if m, seen := states[op.st]; seen {
					t.Fatalf("a %v program shares the pooling state of a %v program", mode, m)
				}
				states[op.st] = mode
				if op.st.keep != (mode == Training) {
					t.Errorf("%v program: keep = %v", mode, op.st.keep)
				}
			}
		}
		if found != 1 {
			t.Fatalf("%v program has %d max-pooling ops, want 1", mode, found)
		}
	}
}

// TestReLUMatchesGorgonia runs the op and Gorgonia's Rectify, which it
// replaced, forward and backward, and wants the same bits everywhere: ±0,
// denormals, infinities and NaN in x, and zeros of both signs, infinities
// and NaN in dy. The large shape spans several chunks.
func TestReLUMatchesGorgonia(t *testing.T) {
	specials := []float32{0, negZero, 1e-45, -1e-45, float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), -float32(math.NaN()), math.MaxFloat32, -math.MaxFloat32}
	for _, shape := range [][]int{{7, 13}, {2, 3, 5, 7}, {3, 50000}} {
		t.Run(fmt.Sprint(shape), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, 17))
			n := 1
			for _, d := range shape {
				n *= d
			}
			x := randomSlice(rng, n, 1)
			copy(x, specials)
			for i := len(specials); i < n; i++ {
				if rng.IntN(10) == 0 {
					x[i] = specials[rng.IntN(len(specials))]
				}
			}
			dy := randomSlice(rng, n, 1)
			for i := range dy {
				switch rng.IntN(20) {
				case 0:
					dy[i] = 0
				case 1:
					dy[i] = negZero
				case 2:
					dy[i] = specials[4+rng.IntN(4)]
				}
			}
			xs := [][]float32{x, randomSlice(rng, n, 1)}
			theirY, theirDX := runGraph(t, shape, xs, dy, G.Rectify)
			withWorkers(t, func(t *testing.T) {
				ourY, ourDX := runGraph(t, shape, xs, dy, rectify)
				for run := range xs {
					testutil.SameBits(t, fmt.Sprintf("run %d: y", run), ourY[run], theirY[run])
					testutil.SameBits(t, fmt.Sprintf("run %d: dx", run), ourDX[run], theirDX[run])
				}
			})
		})
	}
}

func TestReLUOpErrors(t *testing.T) {
	a := tensor.New(tensor.WithShape(2, 3), tensor.Of(tensor.Float32))
	b := tensor.New(tensor.WithShape(3, 2), tensor.Of(tensor.Float32))
	if _, err := (reluOp{2, true, &reused{}}).Do(a, b); err == nil {
		t.Error("relu gradient over shapes (2, 3) and (3, 2): no error")
	}
	if _, err := (reluOp{2, false, &reused{}}).Do(tensor.New(tensor.WithShape(2, 3), tensor.Of(tensor.Float64))); err == nil {
		t.Error("float64 relu: no error")
	}
	if _, err := (reluOp{2, false, &reused{}}).UsePreallocDo(b, a); err == nil {
		t.Error("relu into a buffer of another shape: no error")
	}
}

// TestReLUMaxPoolGradients checks LeNet-5's conv -> relu -> max pool
// against finite differences, with overlapping and non-overlapping windows.
func TestReLUMaxPoolGradients(t *testing.T) {
	for _, win := range []window{{Pair(2), Pair(2), Pair(0)}, {Pair(3), Pair(1), Pair(1)}} {
		t.Run(win.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(4, 23))
			model := convNet(t, rng, []int{2, 9, 8}, 3,
				func([]int) Layer { return built(NewActivation("relu", ReLU))(t) },
				func([]int) Layer { return built(newPool2D("pool", MaxPool, win))(t) })
			const batch = 2
			checkGradients(t, model, SoftmaxCrossEntropy{}, batch, randomSlice(rng, batch*2*9*8, 1), oneHot(rng, batch, 3))
		})
	}
}

// The ops keep their output tensors from run to run. Evaluation and
// training programs run over alternating inputs must give what a fresh
// program gives for each: nothing of one run may leak into the next. The
// second model's ReLU output is the model's output, which the loss reads.
func TestReusedOutputsAcrossRuns(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 31))
	relu := func([]int) Layer { return built(NewActivation("relu", ReLU))(t) }
	pool := func([]int) Layer { return built(NewMaxPool2D("pool", Pair(2), Pair(2), Pair(0)))(t) }
	classifier := convNet(t, rng, []int{2, 8, 8}, 3, relu, pool)
	last := built(NewActivation("relu_out", ReLU))(t)
	regressor, err := NewSequential([]int{2, 8, 8}, append(slices.Clone(classifier.(*Sequential).Layers()), last)...)
	if err != nil {
		t.Fatal(err)
	}
	const batch = 3
	inputs := [][]float32{randomSlice(rng, batch*2*8*8, 1), randomSlice(rng, batch*2*8*8, 1)}
	targets := map[Loss][]float32{SoftmaxCrossEntropy{}: oneHot(rng, batch, 3), MSE{}: randomSlice(rng, batch*3, 1)}
	for _, tc := range []struct {
		model Model
		loss  Loss
	}{{classifier, SoftmaxCrossEntropy{}}, {regressor, MSE{}}} {
		// results runs p over the inputs and returns its outputs and
		// gradients after each run.
		results := func(p *Program, xs [][]float32) [][]float32 {
			var out [][]float32
			for _, x := range xs {
				copy(p.Input(), x)
				copy(p.Target(), targets[tc.loss])
				if err := p.Run(nil); err != nil {
					t.Fatal(err)
				}
				r := append(slices.Clone(p.Outputs()), float32(p.Loss()))
				if p.Mode == Training {
					grads, err := p.Grads(nil)
					if err != nil {
						t.Fatal(err)
					}
					for _, g := range grads {
						r = append(r, g...)
					}
				}
				out = append(out, r)
			}
			return out
		}
		for _, mode := range []Mode{Evaluation, Training} {
			compile := func() *Program {
				p, err := Compile(tc.model, mode, batch, tc.loss)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { p.Close() })
				return p
			}
			got := results(compile(), [][]float32{inputs[0], inputs[1], inputs[0], inputs[1]})
			for i, x := range inputs {
				want := results(compile(), [][]float32{x})[0]
				for run := i; run < len(got); run += 2 {
					testutil.SameBits(t, fmt.Sprintf("%s %v run %d", tc.loss.Name(), mode, run), got[run], want)
				}
			}
		}
	}
}

func TestReusedTensorUndoesReshape(t *testing.T) {
	var r reused
	a := r.get(2, 3)
	if err := a.Reshape(6); err != nil {
		t.Fatal(err)
	}
	if b := r.get(2, 3); b != a || !b.Shape().Eq(tensor.Shape{2, 3}) {
		t.Fatalf("get after a reshape: same tensor %v, shape %v", b == a, b.Shape())
	}
	if c := r.get(4, 3); c == a || !c.Shape().Eq(tensor.Shape{4, 3}) {
		t.Fatalf("get of another size: same tensor %v, shape %v", c == a, c.Shape())
	}
}

// BenchmarkLeNetReLUPool runs LeNet-5's two ReLU + 2x2 max-pool stages
// (6x28x28 and 16x10x10 at batch 64), forward and backward, on their own:
// the loss is the sum of both pooled outputs, differentiated with respect to
// the stages' inputs.
func BenchmarkLeNetReLUPool(b *testing.B) {
	const batch = 64
	rng := rand.New(rand.NewPCG(1, 2))
	g := newGraph(Training, batch)
	var inputs, pooled G.Nodes
	for i, s := range [][]int{{batch, 6, 28, 28}, {batch, 16, 10, 10}} {
		x := tensor.New(tensor.WithShape(s...), tensor.WithBacking(randomSlice(rng, s[0]*s[1]*s[2]*s[3], 1)))
		xn := G.NodeFromAny(g.ExprGraph, x, G.WithName([]string{"x1", "x2"}[i]))
		relu, _ := NewActivation("relu", ReLU)
		r, err := relu.Forward(g, xn)
		if err != nil {
			b.Fatal(err)
		}
		pool := built(NewMaxPool2D("pool", Pair(2), Pair(2), Pair(0)))(b)
		p, err := pool.Forward(g, r)
		if err != nil {
			b.Fatal(err)
		}
		inputs, pooled = append(inputs, xn), append(pooled, G.Must(G.Sum(p)))
	}
	cost := G.Must(G.Add(pooled[0], pooled[1]))
	if _, err := G.Grad(cost, inputs...); err != nil {
		b.Fatal(err)
	}
	vm := G.NewTapeMachine(g.ExprGraph)
	defer vm.Close()
	b.ReportAllocs()
	for b.Loop() {
		if err := vm.RunAll(); err != nil {
			b.Fatal(err)
		}
		vm.Reset()
	}
}
