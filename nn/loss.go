package nn

import (
	G "gorgonia.org/gorgonia"
)

// Loss builds a scalar loss node from a model's outputs and a target batch.
type Loss interface {
	// Name is a short lowercase name, e.g. "softmax_cross_entropy".
	Name() string
	// Build returns the mean loss over the batch. outputs and target have the
	// same shape [batch, k].
	Build(g *Graph, outputs, target *G.Node) (*G.Node, error)
	// Classification reports whether targets are one-hot class labels.
	Classification() bool
}

// SoftmaxCrossEntropy is the mean over the batch of -sum(y * log softmax(z)),
// for raw logits z and one-hot (or soft) targets y. It is one fused op that
// subtracts each row's maximum, so logits of +-1000 give a finite loss and
// gradient, and whose gradient is (softmax(z) - y) / batch.
type SoftmaxCrossEntropy struct{}

func (SoftmaxCrossEntropy) Name() string         { return "softmax_cross_entropy" }
func (SoftmaxCrossEntropy) Classification() bool { return true }

func (SoftmaxCrossEntropy) Build(g *Graph, logits, target *G.Node) (loss *G.Node, err error) {
	defer catch(&err, "softmax cross-entropy")
	return G.ApplyOp(xentOp{}, logits, target)
}

// MSE is the mean squared error over every element of the batch.
type MSE struct{}

func (MSE) Name() string         { return "mse" }
func (MSE) Classification() bool { return false }

func (MSE) Build(g *Graph, outputs, target *G.Node) (loss *G.Node, err error) {
	defer catch(&err, "mse")
	diff := G.Must(G.Sub(outputs, target))
	return G.Mean(G.Must(G.Square(diff)))
}
