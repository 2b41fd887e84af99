package optim

// RMSPropSettings configures RMSProp. The zero value means the defaults,
// which are PyTorch's.
type RMSPropSettings struct {
	// LearningRate defaults to 0.01.
	LearningRate float64 `json:"learning_rate"`
	// Alpha, the decay of the squared-gradient average, in [0, 1), defaults
	// to 0.99.
	Alpha float64 `json:"alpha"`
	// Epsilon, added to the denominator, defaults to 1e-8.
	Epsilon float64 `json:"epsilon"`
	// WeightDecay is an L2 penalty added to the gradient, g += wd*p;
	// default 0.
	WeightDecay float64 `json:"weight_decay"`
}

// RMSProp is torch.optim.RMSprop without momentum or centring, keeping one
// slot "square_avg" per parameter:
//
//	g  += wd*p
//	s   = alpha*s + (1-alpha)*g*g
//	p  -= lr * g/(sqrt(s) + eps)
type RMSProp struct {
	squareBase
	settings RMSPropSettings
}

// NewRMSProp returns an RMSProp optimizer, or an error for a negative or
// non-finite learning rate or weight decay, an alpha outside [0, 1) or a
// negative epsilon.
func NewRMSProp(s RMSPropSettings) (*RMSProp, error) {
	s.LearningRate = orDefault(s.LearningRate, 0.01)
	s.Alpha = orDefault(s.Alpha, 0.99)
	s.Epsilon = orDefault(s.Epsilon, 1e-8)
	o := &RMSProp{settings: s}
	err := o.init("rmsprop", "square_avg", s.LearningRate, s.Epsilon, s.WeightDecay,
		s.Alpha, 1-s.Alpha, 0, checkBeta("rmsprop", "alpha", s.Alpha))
	if err != nil {
		return nil, err
	}
	return o, nil
}

// Settings returns the settings the optimizer was built with, defaults
// filled in. The learning rate is the initial one.
func (o *RMSProp) Settings() RMSPropSettings { return o.settings }

// AdaGradSettings configures AdaGrad. The zero value means the defaults,
// which are PyTorch's.
type AdaGradSettings struct {
	// LearningRate defaults to 0.01.
	LearningRate float64 `json:"learning_rate"`
	// Epsilon, added to the denominator, defaults to 1e-10.
	Epsilon float64 `json:"epsilon"`
	// InitialAccumulator is the starting value of the sum of squared
	// gradients; default 0.
	InitialAccumulator float64 `json:"initial_accumulator"`
	// WeightDecay is an L2 penalty added to the gradient, g += wd*p;
	// default 0.
	WeightDecay float64 `json:"weight_decay"`
}

// AdaGrad is torch.optim.Adagrad without learning-rate decay, keeping one
// slot "sum" per parameter:
//
//	g  += wd*p
//	s  += g*g
//	p  -= lr * g/(sqrt(s) + eps)
type AdaGrad struct {
	squareBase
	settings AdaGradSettings
}

// NewAdaGrad returns an AdaGrad optimizer, or an error for a negative or
// non-finite learning rate, weight decay or initial accumulator, or a
// negative epsilon.
func NewAdaGrad(s AdaGradSettings) (*AdaGrad, error) {
	s.LearningRate = orDefault(s.LearningRate, 0.01)
	s.Epsilon = orDefault(s.Epsilon, 1e-10)
	o := &AdaGrad{settings: s}
	err := o.init("adagrad", "sum", s.LearningRate, s.Epsilon, s.WeightDecay,
		1, 1, s.InitialAccumulator, checkRate("adagrad", "initial accumulator", s.InitialAccumulator))
	if err != nil {
		return nil, err
	}
	return o, nil
}

// Settings returns the settings the optimizer was built with, defaults
// filled in. The learning rate is the initial one.
func (o *AdaGrad) Settings() AdaGradSettings { return o.settings }

// squareRule is the arithmetic shared by RMSProp and AdaGrad: a decayed
// (RMSProp) or plain (AdaGrad, decay 1 and weight 1, which are exact) sum of
// squared gradients scales the step.
type squareRule struct {
	decay, weight, eps, wd float32
	rate                   float32
}

// squareBase is what RMSProp and AdaGrad share.
type squareBase struct {
	core
	squareRule
}

// init validates the settings common to both kinds, and extra, the check of
// a setting of one kind; then it sets b up with state slot slot, every
// element starting at slotInit.
func (b *squareBase) init(kind, slot string, lr, eps, wd, decay, weight, slotInit float64, extra error) error {
	err := firstError(
		checkRate(kind, "learning rate", lr),
		extra,
		checkEpsilon(kind, eps),
		checkRate(kind, "weight decay", wd),
	)
	if err != nil {
		return err
	}
	b.squareRule = squareRule{decay: float32(decay), weight: float32(weight), eps: float32(eps), wd: float32(wd)}
	b.core = newCore(kind, lr, float32(slotInit), &b.squareRule, slot)
	return nil
}

func (r *squareRule) prepare(_ int64, lr float64) { r.rate = float32(lr) }

func (r *squareRule) update(x, g []float32, state [][]float32) {
	decay, weight, eps, wd, lr := r.decay, r.weight, r.eps, r.wd, r.rate
	s := state[0][:len(x)]
	g = g[:len(x)]
	for i, xi := range x {
		gi := g[i] + wd*xi
		si := decay*s[i] + weight*gi*gi
		s[i] = si
		x[i] = xi - lr*gi/(sqrt32(si)+eps)
	}
}

func (o *RMSProp) describe() (string, any, float64) {
	return "rmsprop", o.settings, o.settings.LearningRate
}

func (o *AdaGrad) describe() (string, any, float64) {
	return "adagrad", o.settings, o.settings.LearningRate
}
