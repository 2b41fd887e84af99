package nn

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func distillNet(t *testing.T, rng *rand.Rand) Model {
	t.Helper()
	d1, _ := NewDense("d1", 5, 4, GlorotUniform, rng)
	copy(d1.Bias.Data(), randomSlice(rng, 4, 0.5))
	a, _ := NewActivation("act", Tanh)
	d2, _ := NewDense("d2", 4, 3, GlorotNormal, rng)
	m, err := NewSequential([]int{5}, d1, a, d2)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// targets joins one-hot labels and teacher probabilities, row by row.
func distillTargets(rng *rand.Rand, batch, k int, t float64) (labels, joined []float32) {
	labels = oneHot(rng, batch, k)
	for i := 0; i < batch; i++ {
		joined = append(joined, labels[i*k:(i+1)*k]...)
		logits := randomSlice(rng, k, 2)
		var sum float64
		p := make([]float64, k)
		for j, v := range logits {
			p[j] = math.Exp(float64(v) / t)
			sum += p[j]
		}
		for j := range p {
			joined = append(joined, float32(p[j]/sum))
		}
	}
	return labels, joined
}

func TestDistillationGradients(t *testing.T) {
	for _, tc := range []struct{ temp, alpha float64 }{{4, 0.9}, {1, 0.5}, {20, 1}, {2, 0}} {
		rng := rand.New(rand.NewPCG(3, 4))
		m := distillNet(t, rng)
		_, y := distillTargets(rng, 6, 3, tc.temp)
		checkGradients(t, m, DistillationLoss{Temperature: tc.temp, Alpha: tc.alpha}, 6, randomSlice(rng, 30, 1), y)
	}
}

// lossOf runs an evaluation program of m with the loss on x and y.
func lossOf(t *testing.T, m Model, loss Loss, batch int, x, y []float32) float64 {
	t.Helper()
	p, err := Compile(m, Evaluation, batch, loss)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	copy(p.Input(), x)
	copy(p.Target(), y)
	if err := p.Run(nil); err != nil {
		t.Fatal(err)
	}
	return p.Loss()
}

// Two special cases reduce to plain cross-entropy, computed by the other op:
// alpha 0 (hard labels only), and alpha 1 at T=1 against one-hot "teacher"
// probabilities (KL(y || q) = -log q_y).
func TestDistillationReducesToCrossEntropy(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	m := distillNet(t, rng)
	x := randomSlice(rng, 30, 1)
	labels, joined := distillTargets(rng, 6, 3, 4)
	ce := lossOf(t, m, SoftmaxCrossEntropy{}, 6, x, labels)
	if got := lossOf(t, m, DistillationLoss{Temperature: 4, Alpha: 0}, 6, x, joined); math.Abs(got-ce) > 1e-6 {
		t.Errorf("alpha 0: %v, cross-entropy %v", got, ce)
	}
	var hardAsSoft []float32
	for i := 0; i < 6; i++ {
		hardAsSoft = append(hardAsSoft, labels[i*3:(i+1)*3]...)
		hardAsSoft = append(hardAsSoft, labels[i*3:(i+1)*3]...)
	}
	if got := lossOf(t, m, DistillationLoss{Temperature: 1, Alpha: 1}, 6, x, hardAsSoft); math.Abs(got-ce) > 1e-6 {
		t.Errorf("alpha 1, T 1, one-hot teacher: %v, cross-entropy %v", got, ce)
	}
	// A student that matches the teacher at T has no soft loss.
	if got := lossOf(t, m, DistillationLoss{Temperature: 1, Alpha: 1}, 6, x, joined); got <= 0 {
		t.Errorf("KL %v must be positive for a student unlike the teacher", got)
	}
}

func TestDistillationLossErrors(t *testing.T) {
	m := distillNet(t, rand.New(rand.NewPCG(1, 1)))
	for _, l := range []DistillationLoss{{Temperature: 0, Alpha: 0.5}, {Temperature: 2, Alpha: 1.5}, {Temperature: math.NaN(), Alpha: 0.5}} {
		if _, err := Compile(m, Training, 2, l); err == nil || !strings.Contains(err.Error(), "distillation") {
			t.Errorf("%+v: %v", l, err)
		}
	}
	p, err := Compile(m, Training, 2, DistillationLoss{Temperature: 2, Alpha: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if len(p.Target()) != 2*6 {
		t.Errorf("target buffer of %d values, want 2 rows of 6", len(p.Target()))
	}
}
