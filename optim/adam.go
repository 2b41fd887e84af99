package optim

import "math"

// AdamSettings configures Adam. The zero value means the defaults, which
// are PyTorch's.
type AdamSettings struct {
	// LearningRate defaults to 0.001.
	LearningRate float64 `json:"learning_rate"`
	// Beta1, the decay of the first moment, in [0, 1), defaults to 0.9.
	Beta1 float64 `json:"beta1"`
	// Beta2, the decay of the second moment, in [0, 1), defaults to 0.999.
	Beta2 float64 `json:"beta2"`
	// Epsilon, added to the denominator, defaults to 1e-8.
	Epsilon float64 `json:"epsilon"`
	// WeightDecay is an L2 penalty added to the gradient, g += wd*p;
	// default 0. For decoupled weight decay use AdamW.
	WeightDecay float64 `json:"weight_decay"`
}

// Adam is the Adam optimizer with PyTorch's update rule (torch.optim.Adam,
// amsgrad off), keeping slots "m" and "v" per parameter. At step t:
//
//	g  += wd*p
//	m   = beta1*m + (1-beta1)*g
//	v   = beta2*v + (1-beta2)*g*g
//	p  -= lr/(1-beta1^t) * m / (sqrt(v)/sqrt(1-beta2^t) + eps)
//
// The last line is computed as p -= a*m/(sqrt(v) + eps*sqrt(1-beta2^t))
// with a = lr*sqrt(1-beta2^t)/(1-beta1^t), which is the same value with one
// division per element fewer.
type Adam struct {
	adamBase
	settings AdamSettings
}

// NewAdam returns an Adam optimizer, or an error for a negative or
// non-finite learning rate or weight decay, a beta outside [0, 1) or a
// negative epsilon.
func NewAdam(s AdamSettings) (*Adam, error) {
	o := &Adam{}
	if err := o.init("adam", &s, false); err != nil {
		return nil, err
	}
	o.settings = s
	return o, nil
}

// Settings returns the settings the optimizer was built with, defaults
// filled in. The learning rate is the initial one.
func (o *Adam) Settings() AdamSettings { return o.settings }

// AdamWSettings configures AdamW. The zero value means the defaults, which
// are PyTorch's.
type AdamWSettings struct {
	// LearningRate defaults to 0.001.
	LearningRate float64 `json:"learning_rate"`
	// Beta1, the decay of the first moment, in [0, 1), defaults to 0.9.
	Beta1 float64 `json:"beta1"`
	// Beta2, the decay of the second moment, in [0, 1), defaults to 0.999.
	Beta2 float64 `json:"beta2"`
	// Epsilon, added to the denominator, defaults to 1e-8.
	Epsilon float64 `json:"epsilon"`
	// WeightDecay is the decoupled weight decay, p -= lr*wd*p before the
	// Adam step; default 0.01. For none, use Adam.
	WeightDecay float64 `json:"weight_decay"`
}

// AdamW is Adam with decoupled weight decay (torch.optim.AdamW): each step
// first shrinks the parameters, p *= 1 - lr*wd, then takes an Adam step with
// no L2 term. It keeps slots "m" and "v" like Adam, under kind "adamw".
type AdamW struct {
	adamBase
	settings AdamWSettings
}

// NewAdamW returns an AdamW optimizer, or an error for a negative or
// non-finite learning rate or weight decay, a beta outside [0, 1) or a
// negative epsilon.
func NewAdamW(s AdamWSettings) (*AdamW, error) {
	s.WeightDecay = orDefault(s.WeightDecay, 0.01)
	o := &AdamW{}
	if err := o.init("adamw", (*AdamSettings)(&s), true); err != nil {
		return nil, err
	}
	o.settings = s
	return o, nil
}

// Settings returns the settings the optimizer was built with, defaults
// filled in. The learning rate is the initial one.
func (o *AdamW) Settings() AdamWSettings { return o.settings }

// adamBase is what Adam and AdamW share: the bookkeeping and the arithmetic.
type adamBase struct {
	core
	adamRule
}

// init fills in the defaults of s other than the weight decay, validates it
// and sets b up.
func (b *adamBase) init(kind string, s *AdamSettings, decoupled bool) error {
	s.LearningRate = orDefault(s.LearningRate, 0.001)
	s.Beta1 = orDefault(s.Beta1, 0.9)
	s.Beta2 = orDefault(s.Beta2, 0.999)
	s.Epsilon = orDefault(s.Epsilon, 1e-8)
	err := firstError(
		checkRate(kind, "learning rate", s.LearningRate),
		checkBeta(kind, "beta1", s.Beta1),
		checkBeta(kind, "beta2", s.Beta2),
		checkEpsilon(kind, s.Epsilon),
		checkRate(kind, "weight decay", s.WeightDecay),
	)
	if err != nil {
		return err
	}
	b.adamRule = adamRule{
		beta1: s.Beta1, beta2: s.Beta2, eps: s.Epsilon, wd: s.WeightDecay, decoupled: decoupled,
		b1: float32(s.Beta1), b2: float32(s.Beta2), c1: float32(1 - s.Beta1), c2: float32(1 - s.Beta2),
	}
	b.core = newCore(kind, s.LearningRate, 0, &b.adamRule, "m", "v")
	return nil
}

// adamRule is the arithmetic shared by Adam and AdamW.
type adamRule struct {
	beta1, beta2, eps, wd float64
	decoupled             bool

	// Scalars of the current step, see prepare.
	b1, b2, c1, c2 float32 // beta1, beta2, 1-beta1, 1-beta2
	keep, l2       float32 // p *= keep; g += l2*p
	a, e           float32 // p -= a*m/(sqrt(v)+e)
}

func (r *adamRule) prepare(step int64, lr float64) {
	t := float64(step)
	bc1 := 1 - math.Pow(r.beta1, t)
	sqrtBC2 := math.Sqrt(1 - math.Pow(r.beta2, t))
	r.a = float32(lr * sqrtBC2 / bc1)
	r.e = float32(r.eps * sqrtBC2)
	r.keep, r.l2 = 1, float32(r.wd)
	if r.decoupled {
		r.keep, r.l2 = float32(1-lr*r.wd), 0
	}
}

func (r *adamRule) update(x, g []float32, state [][]float32) {
	b1, b2, c1, c2 := r.b1, r.b2, r.c1, r.c2
	keep, l2, a, e := r.keep, r.l2, r.a, r.e
	m, v := state[0][:len(x)], state[1][:len(x)]
	g = g[:len(x)]
	for i, xi := range x {
		xi *= keep
		gi := g[i] + l2*xi
		mi := b1*m[i] + c1*gi
		vi := b2*v[i] + c2*gi*gi
		m[i], v[i] = mi, vi
		x[i] = xi - a*mi/(sqrt32(vi)+e)
	}
}

func (o *Adam) describe() (string, any, float64) { return "adam", o.settings, o.settings.LearningRate }

func (o *AdamW) describe() (string, any, float64) {
	return "adamw", o.settings, o.settings.LearningRate
}
