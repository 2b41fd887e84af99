package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gozoo/gozoo/internal/testutil"
)

// checkGradients compares every analytic gradient of a training program with
// central finite differences of the loss computed in float64 terms by an
// evaluation program over the same parameters.
func checkGradients(t *testing.T, model Model, loss Loss, batch int, x, y []float32) {
	t.Helper()
	train, err := Compile(model, Training, batch, loss)
	if err != nil {
		t.Fatal(err)
	}
	defer train.Close()
	eval, err := Compile(model, Evaluation, batch, loss)
	if err != nil {
		t.Fatal(err)
	}
	defer eval.Close()
	copy(train.Input(), x)
	copy(train.Target(), y)
	copy(eval.Input(), x)
	copy(eval.Target(), y)
	if err := train.Run(nil); err != nil {
		t.Fatal(err)
	}
	grads, err := train.Grads(nil)
	if err != nil {
		t.Fatal(err)
	}
	lossAt := func() float64 {
		if err := eval.Run(nil); err != nil {
			t.Fatal(err)
		}
		return eval.Loss()
	}
	const h = 1e-3
	for i, p := range train.Params() {
		data := p.Data()
		var got, want []float64
		for j := range data {
			orig := data[j]
			data[j] = orig + h
			up := lossAt()
			data[j] = orig - h
			down := lossAt()
			data[j] = orig
			want = append(want, (up-down)/(2*h))
			got = append(got, float64(grads[i][j]))
		}
		testutil.AllClose(t, p.Name, got, want, 2e-3, 2e-2)
	}
}

func randomSlice(rng *rand.Rand, n int, scale float64) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64() * scale)
	}
	return s
}

func oneHot(rng *rand.Rand, batch, classes int) []float32 {
	y := make([]float32, batch*classes)
	for i := 0; i < batch; i++ {
		y[i*classes+rng.IntN(classes)] = 1
	}
	return y
}

func TestGradients(t *testing.T) {
	for _, act := range []string{ReLU, Tanh, Sigmoid} {
		for _, loss := range []Loss{SoftmaxCrossEntropy{}, MSE{}} {
			t.Run(act+"/"+loss.Name(), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(7, 8))
				d1, err := NewDense("d1", 5, 4, GlorotUniform, rng)
				if err != nil {
					t.Fatal(err)
				}
				// Non-zero biases so the check covers them away from ReLU's kink.
				copy(d1.Bias.Data(), randomSlice(rng, 4, 0.5))
				a, _ := NewActivation("act", act)
				d2, _ := NewDense("d2", 4, 3, GlorotNormal, rng)
				copy(d2.Bias.Data(), randomSlice(rng, 3, 0.5))
				model, err := NewSequential([]int{5}, d1, a, d2)
				if err != nil {
					t.Fatal(err)
				}
				var y []float32
				if loss.Classification() {
					y = oneHot(rng, 6, 3)
				} else {
					y = randomSlice(rng, 18, 1)
				}
				checkGradients(t, model, loss, 6, randomSlice(rng, 30, 1), y)
			})
		}
	}
}

func TestSoftmaxCrossEntropyExtremeLogits(t *testing.T) {
	// Inputs are one-hot, so each sample's logits are a row of the weights.
	// The largest logit sits in a different column in each row: Gorgonia's
	// own softmax kernel gets exactly this case wrong.
	rng := rand.New(rand.NewPCG(1, 1))
	d, _ := NewDense("d", 2, 3, Zeros, rng)
	copy(d.Weight.Data(), []float32{-1000, 1000, 0, 0, -1000, 1000})
	model, _ := NewSequential([]int{2}, d)
	p, err := Compile(model, Training, 2, SoftmaxCrossEntropy{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	copy(p.Input(), []float32{1, 0, 0, 1})
	copy(p.Target(), []float32{1, 0, 0, 0, 0, 1})
	if err := p.Run(nil); err != nil {
		t.Fatal(err)
	}
	// Sample 1 is class 0 with logit -1000 against 1000: loss 2000. Sample 2
	// is class 2, its largest logit: loss 0. Mean 1000.
	if l := p.Loss(); math.IsInf(l, 0) || math.IsNaN(l) || math.Abs(l-1000) > 1e-2 {
		t.Fatalf("loss = %v, want 1000", l)
	}
	grads, _ := p.Grads(nil)
	// d loss / d bias = mean over the batch of (softmax - y)
	//                 = ((0,1,0) - (1,0,0) + (0,0,1) - (0,0,1)) / 2.
	want := []float64{-0.5, 0.5, 0}
	var got []float64
	for _, g := range grads[1] {
		got = append(got, float64(g))
	}
	testutil.AllClose(t, "bias gradient", got, want, 1e-6, 0)
}

func TestSoftmaxLayer(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	d, _ := NewDense("d", 3, 4, GlorotUniform, rng)
	sm, _ := NewActivation("softmax", Softmax)
	model, _ := NewSequential([]int{3}, d, sm)
	t.Run("gradient", func(t *testing.T) {
		checkGradients(t, model, MSE{}, 5, randomSlice(rng, 15, 1), randomSlice(rng, 20, 1))
	})
	t.Run("extreme inputs", func(t *testing.T) {
		p, err := Compile(model, Evaluation, 2, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		copy(d.Weight.Data(), []float32{0, 1000, 0, -1000, 0, 0, 0, 0, 0, 0, 0, 0})
		copy(p.Input(), []float32{0, 0, 0, 1, 0, 0})
		if err := p.Run(nil); err != nil {
			t.Fatal(err)
		}
		want := []float64{0.25, 0.25, 0.25, 0.25, 0, 1, 0, 0}
		var got []float64
		for _, v := range p.Outputs() {
			got = append(got, float64(v))
		}
		testutil.AllClose(t, "softmax", got, want, 1e-7, 0)
	})
}

func TestGraphsShareParameters(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	d, _ := NewDense("d", 2, 2, GlorotUniform, rng)
	model, _ := NewSequential([]int{2}, d)
	a, _ := Compile(model, Evaluation, 1, nil)
	b, _ := Compile(model, Evaluation, 3, nil)
	defer a.Close()
	defer b.Close()
	copy(a.Input(), []float32{1, 0})
	copy(b.Input(), []float32{1, 0, 0, 0, 0, 0})
	d.Weight.Data()[0] = 42 // an in-place update, as an optimizer makes
	d.Bias.Data()[0] = 0
	for _, p := range []*Program{a, b} {
		if err := p.Run(nil); err != nil {
			t.Fatal(err)
		}
		if got := p.Outputs()[0]; got != 42 {
			t.Errorf("batch %d program sees %v, want the updated weight 42", p.Batch, got)
		}
	}
}

// Gorgonia's machine accumulates gradients across runs; a program must not.
func TestRepeatedRunsGiveTheSameGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	d, _ := NewDense("d", 4, 3, GlorotUniform, rng)
	model, _ := NewSequential([]int{4}, d)
	p, err := Compile(model, Training, 2, SoftmaxCrossEntropy{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	copy(p.Input(), randomSlice(rng, 8, 1))
	copy(p.Target(), oneHot(rng, 2, 3))
	var first []float32
	for run := 0; run < 3; run++ {
		if err := p.Run(nil); err != nil {
			t.Fatal(err)
		}
		grads, _ := p.Grads(nil)
		if run == 0 {
			first = append(first, grads[0]...)
			continue
		}
		for i, g := range grads[0] {
			if g != first[i] {
				t.Fatalf("run %d: gradient[%d] = %v, first run gave %v", run+1, i, g, first[i])
			}
		}
	}
}
