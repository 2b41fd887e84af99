// Package recipes provides the training loop of gozoo: a Trainer with Fit,
// Evaluate and Predict in the manner of paddle.Model and Keras (and
// TrainOnBatch, one step of Fit, for loops of one's own and for timing),
// callbacks, and a typed History.
//
// The Trainer compiles one program per (mode, batch size) and caches it. All
// programs share the model's parameters, so the optimizer's in-place updates
// are seen by every one of them, and evaluation runs a forward-only program
// that cannot disturb gradients or optimizer state.
package recipes
