// Package mlp provides multilayer perceptrons: a Config that describes one,
// presets for the two MNIST models of gozoo's seed document (PaddlePaddle's
// 784-128-64-10 and MindSpore's 784-1024-64-10), and New, which builds the
// model with weights drawn from a caller-seeded source.
package mlp
