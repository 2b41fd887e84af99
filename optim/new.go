package optim

import "fmt"

// New returns the optimizer of a command-line name with default settings
// and learning rate lr (0 for the optimizer's default): adam, adamw,
// adagrad, momentum, nesterov, rmsprop or sgd.
func New(name string, lr float64) (Optimizer, error) {
	switch name {
	case "adam":
		return asOptimizer(NewAdam(AdamSettings{LearningRate: lr}))
	case "adamw":
		return asOptimizer(NewAdamW(AdamWSettings{LearningRate: lr}))
	case "adagrad":
		return asOptimizer(NewAdaGrad(AdaGradSettings{LearningRate: lr}))
	case "momentum", "nesterov":
		return asOptimizer(NewMomentum(MomentumSettings{LearningRate: lr, Nesterov: name == "nesterov"}))
	case "rmsprop":
		return asOptimizer(NewRMSProp(RMSPropSettings{LearningRate: lr}))
	case "sgd":
		return asOptimizer(NewSGD(SGDSettings{LearningRate: lr}))
	}
	return nil, fmt.Errorf("optim: unknown optimizer %q (valid: adam, adamw, adagrad, momentum, nesterov, rmsprop, sgd)", name)
}

// asOptimizer keeps a failed constructor's nil pointer out of the interface.
func asOptimizer[T Optimizer](o T, err error) (Optimizer, error) {
	if err != nil {
		return nil, err
	}
	return o, nil
}
