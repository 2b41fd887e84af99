// Package nn provides the building blocks of gozoo models: a parameter store
// of named float32 tensors, seeded initialisers, layers (Dense, activations,
// Sequential), losses, and Program, which compiles a model into a Gorgonia
// graph for one mode (training or evaluation) and one batch size.
//
// Parameters outlive graphs. A model owns its parameters; every graph built
// over the model binds its nodes to the same tensors, so an optimizer step
// taken on the training graph is visible at once in the evaluation graph, and
// graphs can be built for any batch size without copying weights.
//
// The shortest use builds a model, compiles a training program and runs it
// (see the package Example); recipes.Trainer does this for whole datasets.
package nn
