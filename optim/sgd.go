package optim

// SGDSettings configures plain stochastic gradient descent. The zero value
// means the defaults.
type SGDSettings struct {
	// LearningRate defaults to 0.01.
	LearningRate float64 `json:"learning_rate"`
	// WeightDecay is an L2 penalty added to the gradient, g += wd*p;
	// default 0.
	WeightDecay float64 `json:"weight_decay"`
}

// SGD is stochastic gradient descent, torch.optim.SGD without momentum:
//
//	p -= lr * (g + wd*p)
//
// It keeps no per-parameter state.
type SGD struct {
	core
	settings SGDSettings
	rate, wd float32
}

// NewSGD returns an SGD optimizer, or an error for a negative or non-finite
// learning rate or weight decay.
func NewSGD(s SGDSettings) (*SGD, error) {
	s.LearningRate = orDefault(s.LearningRate, 0.01)
	if err := firstError(
		checkRate("sgd", "learning rate", s.LearningRate),
		checkRate("sgd", "weight decay", s.WeightDecay),
	); err != nil {
		return nil, err
	}
	o := &SGD{settings: s, wd: float32(s.WeightDecay)}
	o.core = newCore("sgd", s.LearningRate, 0, o)
	return o, nil
}

// Settings returns the settings the optimizer was built with, defaults
// filled in. The learning rate is the initial one.
func (o *SGD) Settings() SGDSettings { return o.settings }

func (o *SGD) prepare(_ int64, lr float64) { o.rate = float32(lr) }

func (o *SGD) update(x, g []float32, _ [][]float32) {
	lr, wd := o.rate, o.wd
	g = g[:len(x)]
	for i, xi := range x {
		x[i] = xi - lr*(g[i]+wd*xi)
	}
}

// MomentumSettings configures SGD with momentum. The zero value means the
// defaults.
type MomentumSettings struct {
	// LearningRate defaults to 0.01.
	LearningRate float64 `json:"learning_rate"`
	// Momentum, in [0, 1), defaults to 0.9 (PyTorch's SGD defaults to 0;
	// use SGD for no momentum).
	Momentum float64 `json:"momentum"`
	// Nesterov selects Nesterov momentum.
	Nesterov bool `json:"nesterov"`
	// WeightDecay is an L2 penalty added to the gradient, g += wd*p;
	// default 0.
	WeightDecay float64 `json:"weight_decay"`
}

// Momentum is SGD with momentum in PyTorch's formulation (torch.optim.SGD
// with dampening 0), keeping one slot "momentum_buffer" per parameter:
//
//	g   += wd*p
//	buf  = mu*buf + g
//	p   -= lr*(g + mu*buf)  (Nesterov)
//	p   -= lr*buf           (otherwise)
//
// Its kind is "nesterov" with Nesterov set, else "momentum".
type Momentum struct {
	core
	settings     MomentumSettings
	rate, mu, wd float32
	nesterov     bool
}

// NewMomentum returns a momentum optimizer, or an error for a negative or
// non-finite learning rate or weight decay, or a momentum outside [0, 1).
func NewMomentum(s MomentumSettings) (*Momentum, error) {
	kind := "momentum"
	if s.Nesterov {
		kind = "nesterov"
	}
	s.LearningRate = orDefault(s.LearningRate, 0.01)
	s.Momentum = orDefault(s.Momentum, 0.9)
	if err := firstError(
		checkRate(kind, "learning rate", s.LearningRate),
		checkBeta(kind, "momentum", s.Momentum),
		checkRate(kind, "weight decay", s.WeightDecay),
	); err != nil {
		return nil, err
	}
	o := &Momentum{settings: s, mu: float32(s.Momentum), wd: float32(s.WeightDecay), nesterov: s.Nesterov}
	o.core = newCore(kind, s.LearningRate, 0, o, "momentum_buffer")
	return o, nil
}

// Settings returns the settings the optimizer was built with, defaults
// filled in. The learning rate is the initial one.
func (o *Momentum) Settings() MomentumSettings { return o.settings }

func (o *Momentum) prepare(_ int64, lr float64) { o.rate = float32(lr) }

// update starts from a zero buffer, which gives PyTorch's first step
// (buf = g) exactly: mu*0 + g == g.
func (o *Momentum) update(x, g []float32, state [][]float32) {
	lr, mu, wd := o.rate, o.mu, o.wd
	buf := state[0][:len(x)]
	g = g[:len(x)]
	if o.nesterov {
		for i, xi := range x {
			gi := g[i] + wd*xi
			b := mu*buf[i] + gi
			buf[i] = b
			x[i] = xi - lr*(gi+mu*b)
		}
		return
	}
	for i, xi := range x {
		b := mu*buf[i] + (g[i] + wd*xi)
		buf[i] = b
		x[i] = xi - lr*b
	}
}

func (o *SGD) describe() (string, any, float64) { return "sgd", o.settings, o.settings.LearningRate }

func (o *Momentum) describe() (string, any, float64) {
	return o.kind, o.settings, o.settings.LearningRate
}
