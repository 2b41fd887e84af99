package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Program is a model compiled for one mode and one batch size: a Gorgonia
// graph and the machine that runs it. Training programs compute the loss and
// the gradient of every trainable parameter; evaluation programs run the
// forward pass only (and the loss, if one was given), so they never disturb
// gradients or optimizer state.
//
// Inputs and targets are written into the slices returned by Input and Target
// before each Run.
type Program struct {
	Mode  Mode
	Batch int

	graph   *Graph
	vm      G.VM
	x, y    *tensor.Dense
	outputs *G.Node
	// outValue receives the outputs during a training run.
	outValue G.Value
	loss     *G.Node
	params   []*Param
	pnodes   []*G.Node
	outDims  int
}

// Compile builds a program for model. loss may be nil for an evaluation
// program that only produces outputs.
func Compile(model Model, mode Mode, batch int, loss Loss) (p *Program, err error) {
	if batch <= 0 {
		return nil, fmt.Errorf("nn: batch size must be positive, got %d", batch)
	}
	if mode == Training && loss == nil {
		return nil, fmt.Errorf("nn: a training program needs a loss")
	}
	defer catch(&err, "nn: compile")
	g := newGraph(mode, batch)
	inShape := append([]int{batch}, model.InputShape()...)
	outShape := append([]int{batch}, model.OutputShape()...)
	if len(outShape) != 2 {
		return nil, fmt.Errorf("nn: model outputs must be vectors, got per-sample shape %v", model.OutputShape())
	}
	xSize, err := shapeSize(inShape)
	if err != nil {
		return nil, fmt.Errorf("nn: input: %w", err)
	}
	p = &Program{Mode: mode, Batch: batch, graph: g, outDims: outShape[1]}
	p.x = tensor.New(tensor.WithShape(inShape...), tensor.WithBacking(make([]float32, xSize)))
	xNode := G.NewTensor(g.ExprGraph, tensor.Float32, len(inShape), G.WithShape(inShape...), G.WithName("input"), G.WithValue(p.x))
	g.input = xNode
	p.outputs, err = model.Forward(g, xNode)
	if err != nil {
		return nil, err
	}
	if !sameShape(p.outputs.Shape(), outShape) {
		return nil, fmt.Errorf("nn: model produced shape %v, want %v", p.outputs.Shape(), outShape)
	}
	if loss != nil {
		width := TargetWidth(loss, outShape[1])
		if width <= 0 || width > 1<<20 {
			return nil, fmt.Errorf("nn: loss %s wants targets of width %d", loss.Name(), width)
		}
		p.y = tensor.New(tensor.WithShape(batch, width), tensor.WithBacking(make([]float32, batch*width)))
		yNode := G.NewMatrix(g.ExprGraph, tensor.Float32, G.WithShape(batch, width), G.WithName("target"), G.WithValue(p.y))
		if p.loss, err = loss.Build(g, p.outputs, yNode); err != nil {
			return nil, err
		}
	}
	var opts []G.VMOpt
	if mode == Training {
		// The backward pass may reuse the output node's memory in place (it
		// does for MSE), so a read during the run keeps the outputs.
		G.Read(p.outputs, &p.outValue)
		// Report parameters in the model's order, whatever order the layers
		// happened to create their nodes in, so optimizer state lines up
		// across programs of different batch sizes.
		for _, prm := range model.Params() {
			if _, used := g.nodes[prm]; used && prm.Trainable {
				p.params = append(p.params, prm)
				p.pnodes = append(p.pnodes, g.nodes[prm])
			}
		}
		if len(p.pnodes) == 0 {
			return nil, fmt.Errorf("nn: the model has no trainable parameters: there is nothing to train")
		}
		if _, err := G.Grad(p.loss, p.pnodes...); err != nil {
			return nil, errors.Wrap(err, "nn: gradient")
		}
		opts = append(opts, G.BindDualValues(p.pnodes...))
	}
	p.vm = G.NewTapeMachine(g.ExprGraph, opts...)
	return p, nil
}

func sameShape(a tensor.Shape, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Input returns the input buffer, row-major [batch, input shape...].
func (p *Program) Input() []float32 { return p.x.Data().([]float32) }

// Target returns the target buffer [batch, width], or nil without a loss;
// width is the model's outputs unless the loss asks for more (TargetWidth).
func (p *Program) Target() []float32 {
	if p.y == nil {
		return nil
	}
	return p.y.Data().([]float32)
}

// Run executes the graph once. rng fills per-run inputs such as dropout
// masks; it may be nil for programs that have none.
func (p *Program) Run(rng *rand.Rand) error {
	for _, f := range p.graph.feeds {
		if rng == nil {
			return fmt.Errorf("nn: program has random inputs but no random source")
		}
		f.Fill(rng, f.Value.Data().([]float32))
	}
	// The machine adds each run's gradients to what the parameters' dual
	// values already hold (Gorgonia's own solvers zero them after a step),
	// so clear them first: every run's gradients are its own.
	for _, n := range p.pnodes {
		if gv, err := n.Grad(); err == nil {
			if t, ok := gv.(tensor.Tensor); ok {
				t.Zero()
			}
		}
	}
	p.vm.Reset()
	if err := p.vm.RunAll(); err != nil {
		return errors.Wrap(err, "nn: run")
	}
	for _, h := range p.graph.hooks {
		if err := h(); err != nil {
			return err
		}
	}
	return nil
}

// Outputs returns the model outputs of the last run, [batch, outputs]. The
// slice is owned by the program and overwritten by the next run.
func (p *Program) Outputs() []float32 {
	if p.outValue != nil {
		return p.outValue.Data().([]float32)
	}
	return p.outputs.Value().Data().([]float32)
}

// OutputSize is the number of outputs per sample.
func (p *Program) OutputSize() int { return p.outDims }

// Loss returns the loss of the last run.
func (p *Program) Loss() float64 {
	if p.loss == nil {
		return 0
	}
	return float64(p.loss.Value().Data().(float32))
}

// Params returns the trainable parameters of a training program, in the
// order Grads reports them.
func (p *Program) Params() []*Param { return p.params }

// Grads returns the gradient of the loss for each parameter in Params after
// the last run. The slices are owned by the program.
func (p *Program) Grads(dst [][]float32) ([][]float32, error) {
	dst = dst[:0]
	for i, n := range p.pnodes {
		gv, err := n.Grad()
		if err != nil {
			return nil, errors.Wrapf(err, "nn: gradient of %s", p.params[i].Name)
		}
		dst = append(dst, gv.Data().([]float32))
	}
	return dst, nil
}

// Close releases the machine.
func (p *Program) Close() error {
	if p.vm != nil {
		return p.vm.Close()
	}
	return nil
}
