package optim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Common are the settings every optimizer kind shares, as typed values.
// Zero means the kind's default (learning rate 0.001 for the Adam family,
// 0.01 for the others; no weight decay, but 0.01 for AdamW's decoupled
// decay).
type Common struct {
	LearningRate float64
	// WeightDecay is an L2 penalty for every kind but adamw, whose decay
	// is decoupled.
	WeightDecay float64
}

// Kind is one entry of the optimizer registry: a name, what it is, and how
// to build it from the common settings or from a checkpoint's full
// settings.
type Kind struct {
	Name    string
	Summary string
	// New builds the optimizer with default settings but the common ones.
	New func(Common) (Optimizer, error)

	decode func(Config) (Optimizer, error)
}

// Kinds returns the registry: every optimizer of this package, by name.
func Kinds() []Kind {
	return []Kind{
		{"adam", "Adam (PyTorch's rule)",
			func(c Common) (Optimizer, error) {
				return asOptimizer(NewAdam(AdamSettings{LearningRate: c.LearningRate, WeightDecay: c.WeightDecay}))
			}, decoder(NewAdam)},
		{"adamw", "Adam with decoupled weight decay",
			func(c Common) (Optimizer, error) {
				return asOptimizer(NewAdamW(AdamWSettings{LearningRate: c.LearningRate, WeightDecay: c.WeightDecay}))
			}, decoder(NewAdamW)},
		{"adagrad", "AdaGrad",
			func(c Common) (Optimizer, error) {
				return asOptimizer(NewAdaGrad(AdaGradSettings{LearningRate: c.LearningRate, WeightDecay: c.WeightDecay}))
			}, decoder(NewAdaGrad)},
		{"momentum", "SGD with momentum 0.9",
			momentum(false), momentumDecoder(false)},
		{"nesterov", "SGD with Nesterov momentum 0.9",
			momentum(true), momentumDecoder(true)},
		{"rmsprop", "RMSProp",
			func(c Common) (Optimizer, error) {
				return asOptimizer(NewRMSProp(RMSPropSettings{LearningRate: c.LearningRate, WeightDecay: c.WeightDecay}))
			}, decoder(NewRMSProp)},
		{"sgd", "plain stochastic gradient descent",
			func(c Common) (Optimizer, error) {
				return asOptimizer(NewSGD(SGDSettings{LearningRate: c.LearningRate, WeightDecay: c.WeightDecay}))
			}, decoder(NewSGD)},
	}
}

// KindNames lists the registry's names.
func KindNames() []string {
	var names []string
	for _, k := range Kinds() {
		names = append(names, k.Name)
	}
	return names
}

func kindNamed(name string) (Kind, error) {
	for _, k := range Kinds() {
		if k.Name == name {
			return k, nil
		}
	}
	return Kind{}, fmt.Errorf("optim: unknown optimizer %q (valid: %s)", name, strings.Join(KindNames(), ", "))
}

// New returns the optimizer of a registry name with default settings but
// the common ones.
func New(name string, c Common) (Optimizer, error) {
	k, err := kindNamed(name)
	if err != nil {
		return nil, err
	}
	return k.New(c)
}

func momentum(nesterov bool) func(Common) (Optimizer, error) {
	return func(c Common) (Optimizer, error) {
		return asOptimizer(NewMomentum(MomentumSettings{LearningRate: c.LearningRate, WeightDecay: c.WeightDecay, Nesterov: nesterov}))
	}
}

func momentumDecoder(nesterov bool) func(Config) (Optimizer, error) {
	return decoder(func(s MomentumSettings) (*Momentum, error) {
		if s.Nesterov && !nesterov {
			return nil, fmt.Errorf("optim: kind %q does not match nesterov=true (use kind nesterov)", "momentum")
		}
		s.Nesterov = nesterov
		return NewMomentum(s)
	})
}

// asOptimizer keeps a failed constructor's nil pointer out of the interface.
func asOptimizer[T Optimizer](o T, err error) (Optimizer, error) {
	if err != nil {
		return nil, err
	}
	return o, nil
}

// Config is an optimizer's kind and settings, the part of a checkpoint that
// rebuilds the optimizer (its State restores the rest).
type Config struct {
	Kind     string          `json:"kind"`
	Settings json.RawMessage `json:"settings"`
}

// describer is implemented by every optimizer of this package.
type describer interface {
	describe() (kind string, settings any, baseLR float64)
}

// ConfigOf returns the kind and settings (defaults filled in) of one of this
// package's optimizers.
func ConfigOf(o Optimizer) (Config, error) {
	d, ok := o.(describer)
	if !ok {
		return Config{}, fmt.Errorf("optim: cannot describe optimizer of type %T", o)
	}
	kind, settings, _ := d.describe()
	data, err := json.Marshal(settings)
	if err != nil {
		return Config{}, fmt.Errorf("optim: %s settings: %w", kind, err)
	}
	return Config{Kind: kind, Settings: data}, nil
}

// FromConfig builds the optimizer a Config describes. Unknown settings
// fields are an error.
func FromConfig(c Config) (Optimizer, error) {
	k, err := kindNamed(c.Kind)
	if err != nil {
		return nil, err
	}
	return k.decode(c)
}

// decoder builds an optimizer from its settings as JSON, strictly.
func decoder[S any, T Optimizer](newFn func(S) (T, error)) func(Config) (Optimizer, error) {
	return func(c Config) (Optimizer, error) {
		var s S
		dec := json.NewDecoder(bytes.NewReader(c.Settings))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&s); err != nil {
			return nil, fmt.Errorf("optim: %s settings: %w", c.Kind, err)
		}
		return asOptimizer(newFn(s))
	}
}

// BaseLearningRate is the learning rate o was built with (its settings'),
// which a schedule starts from; LearningRate is the current one.
func BaseLearningRate(o Optimizer) (float64, error) {
	d, ok := o.(describer)
	if !ok {
		return 0, fmt.Errorf("optim: cannot describe optimizer of type %T", o)
	}
	_, _, lr := d.describe()
	return lr, nil
}
