package optim

// Param is one trainable tensor as an optimizer sees it. Value is updated in
// place by Step; Grad holds the gradient of the loss for the current step.
type Param struct {
	Name  string
	Shape []int
	Value []float32
	Grad  []float32
	// Mask, if set, marks with false the values that must stay zero (a
	// pruned weight): Step sets them to 0 after every update.
	Mask []bool
}

// Tensor is a named piece of optimizer state.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

// State is everything an optimizer needs to continue exactly where it
// stopped: its kind, the number of steps taken, the current learning rate and
// its per-parameter tensors (moments, accumulators), named
// "<param name>/<slot>", e.g. "dense1/weight/m".
type State struct {
	Kind         string
	Step         int64
	LearningRate float64
	Tensors      []Tensor
}

// Optimizer updates parameters from their gradients.
type Optimizer interface {
	// Step applies one update to every parameter. Params must be passed in
	// the same order, with the same names and shapes, on every call.
	Step(params []Param) error
	LearningRate() float64
	SetLearningRate(lr float64)
	// State returns a deep copy of the optimizer's state.
	State() State
	// LoadState restores a state returned by State, checking kind, names and
	// shapes; it is an error to load a state of another kind.
	LoadState(s State) error
}
