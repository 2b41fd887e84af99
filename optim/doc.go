// Package optim provides gradient-descent optimizers (SGD, Momentum, Nesterov,
// Adam, AdamW, RMSProp, AdaGrad) whose state is a set of named tensors, so a
// checkpoint can save and restore it, and whose learning rate may change
// between steps; learning-rate schedules; and gradient clipping.
//
// The optimizers follow PyTorch's update rules (torch.optim, version 1.13)
// and are checked against them to 1e-6. They work on plain float32 slices and
// do not import Gorgonia: a trainer hands them the model's parameter tensors
// and gradients as Params, and Step updates the values in place. Each
// optimizer has a settings struct whose zero value means PyTorch's defaults:
//
//	opt, err := optim.NewAdam(optim.AdamSettings{}) // lr 0.001, betas 0.9, 0.999
//	if err != nil { ... }
//	for step := 0; step < steps; step++ {
//		computeGradients(params)
//		optim.ClipGlobalNorm(params, 1)
//		opt.SetLearningRate(schedule.At(step))
//		if err := opt.Step(params); err != nil { ... }
//	}
//
// Step does not allocate after its first call, which creates the optimizer's
// state for the parameters it is given; later calls must pass the same
// parameters in the same order. State and LoadState save and restore that
// state so that a resumed run continues bit for bit as if it never stopped.
// An optimizer is not safe for concurrent use.
package optim
