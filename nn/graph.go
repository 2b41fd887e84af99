package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Mode says which graph a layer is being built into. Layers such as Dropout
// and BatchNorm behave differently in the two.
type Mode int

const (
	// Training builds the forward and backward pass.
	Training Mode = iota
	// Evaluation builds the forward pass only, with inference behaviour.
	Evaluation
)

func (m Mode) String() string {
	if m == Training {
		return "training"
	}
	return "evaluation"
}

// Graph is the context in which layers build their nodes: one Gorgonia
// expression graph for one mode and one batch size.
type Graph struct {
	*G.ExprGraph
	Mode  Mode
	Batch int

	// input is the program's data input, which needs no gradient.
	input *G.Node
	nodes map[*Param]*G.Node
	order []*Param
	feeds []Feed
	hooks []func() error
}

// Feed is an input that a layer needs filled before every run, such as a
// dropout mask. Fill draws from the caller's seeded source.
type Feed struct {
	Node  *G.Node
	Value *tensor.Dense
	Fill  func(rng *rand.Rand, dst []float32)
}

func newGraph(mode Mode, batch int) *Graph {
	return &Graph{ExprGraph: G.NewGraph(), Mode: mode, Batch: batch, nodes: map[*Param]*G.Node{}}
}

// Node returns the node bound to p in this graph, creating it on first use.
// The node shares p's tensor: no copy is made.
func (g *Graph) Node(p *Param) *G.Node {
	if n, ok := g.nodes[p]; ok {
		return n
	}
	n := G.NodeFromAny(g.ExprGraph, p.Value, G.WithName(p.Name))
	g.nodes[p] = n
	g.order = append(g.order, p)
	return n
}

// AddFeed registers a per-run input of the given shape and returns its node.
func (g *Graph) AddFeed(name string, shape []int, fill func(rng *rand.Rand, dst []float32)) *G.Node {
	n, _ := shapeSize(shape)
	t := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(make([]float32, n)))
	node := G.NodeFromAny(g.ExprGraph, t, G.WithName(name))
	g.feeds = append(g.feeds, Feed{Node: node, Value: t, Fill: fill})
	return node
}

// AfterRun registers a function called after every successful run of the
// graph, e.g. to update BatchNorm running averages from batch statistics.
func (g *Graph) AfterRun(f func() error) { g.hooks = append(g.hooks, f) }

// catch turns a panic raised by Gorgonia's Must helpers while building a
// graph into an error.
func catch(err *error, what string) {
	if r := recover(); r != nil {
		if e, ok := r.(error); ok {
			*err = errors.Wrap(e, what)
		} else {
			*err = fmt.Errorf("%s: %v", what, r)
		}
	}
}
