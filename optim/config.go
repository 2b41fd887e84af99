package optim

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Config is an optimizer's kind and settings, the part of a checkpoint that
// rebuilds the optimizer (its State restores the rest).
type Config struct {
	Kind     string          `json:"kind"`
	Settings json.RawMessage `json:"settings"`
}

// ConfigOf returns the kind and settings (defaults filled in) of one of this
// package's optimizers.
func ConfigOf(o Optimizer) (Config, error) {
	var kind string
	var settings any
	switch o := o.(type) {
	case *SGD:
		kind, settings = "sgd", o.Settings()
	case *Momentum:
		kind, settings = "momentum", o.Settings()
		if o.Settings().Nesterov {
			kind = "nesterov"
		}
	case *Adam:
		kind, settings = "adam", o.Settings()
	case *AdamW:
		kind, settings = "adamw", o.Settings()
	case *RMSProp:
		kind, settings = "rmsprop", o.Settings()
	case *AdaGrad:
		kind, settings = "adagrad", o.Settings()
	default:
		return Config{}, fmt.Errorf("optim: cannot describe optimizer of type %T", o)
	}
	data, err := json.Marshal(settings)
	if err != nil {
		return Config{}, fmt.Errorf("optim: %s settings: %w", kind, err)
	}
	return Config{Kind: kind, Settings: data}, nil
}

// FromConfig builds the optimizer a Config describes. Unknown settings
// fields are an error.
func FromConfig(c Config) (Optimizer, error) {
	switch c.Kind {
	case "sgd":
		return decodeSettings(c, NewSGD)
	case "momentum", "nesterov":
		return decodeSettings(c, func(s MomentumSettings) (*Momentum, error) {
			if s.Nesterov && c.Kind == "momentum" {
				return nil, fmt.Errorf("optim: kind %q does not match nesterov=true (use kind nesterov)", c.Kind)
			}
			s.Nesterov = c.Kind == "nesterov"
			return NewMomentum(s)
		})
	case "adam":
		return decodeSettings(c, NewAdam)
	case "adamw":
		return decodeSettings(c, NewAdamW)
	case "rmsprop":
		return decodeSettings(c, NewRMSProp)
	case "adagrad":
		return decodeSettings(c, NewAdaGrad)
	}
	return nil, fmt.Errorf("optim: unknown optimizer %q (valid: adam, adamw, adagrad, momentum, nesterov, rmsprop, sgd)", c.Kind)
}

func decodeSettings[S any, T Optimizer](c Config, newFn func(S) (T, error)) (Optimizer, error) {
	var s S
	dec := json.NewDecoder(bytes.NewReader(c.Settings))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("optim: %s settings: %w", c.Kind, err)
	}
	return asOptimizer(newFn(s))
}

// NewWithDecay is New with a weight decay: an L2 penalty for every kind but
// adamw, whose decay is decoupled (0 keeps AdamW's default of 0.01).
func NewWithDecay(name string, lr, weightDecay float64) (Optimizer, error) {
	if weightDecay == 0 {
		return New(name, lr)
	}
	o, err := New(name, lr)
	if err != nil {
		return nil, err
	}
	c, err := ConfigOf(o)
	if err != nil {
		return nil, err
	}
	var fields map[string]any
	if err := json.Unmarshal(c.Settings, &fields); err != nil {
		return nil, fmt.Errorf("optim: %s settings: %w", name, err)
	}
	fields["weight_decay"] = weightDecay
	if c.Settings, err = json.Marshal(fields); err != nil {
		return nil, fmt.Errorf("optim: %s settings: %w", name, err)
	}
	return FromConfig(c)
}
