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
// for raw logits z and one-hot (or soft) targets y. It is computed with
// LogSoftMax, which subtracts the row maximum, so logits of +-1000 give a
// finite loss and gradient.
type SoftmaxCrossEntropy struct{}

func (SoftmaxCrossEntropy) Name() string         { return "softmax_cross_entropy" }
func (SoftmaxCrossEntropy) Classification() bool { return true }

func (SoftmaxCrossEntropy) Build(g *Graph, logits, target *G.Node) (loss *G.Node, err error) {
	defer catch(&err, "softmax cross-entropy")
	logp := G.Must(G.LogSoftMax(logits))
	total := G.Must(G.Sum(G.Must(G.HadamardProd(logp, target))))
	n := G.NewConstant(float32(g.Batch))
	return G.Div(G.Must(G.Neg(total)), n)
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
