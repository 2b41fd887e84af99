package nn

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"

	stderrors "errors"

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
	vm      G.VM    // training programs
	direct  *direct // evaluation programs
	x, y    *tensor.Dense
	outputs *G.Node
	// outValue receives the outputs during a training run.
	outValue G.Value
	loss     *G.Node
	params   []*Param
	pnodes   []*G.Node
	// gnodes are the gradient nodes of pnodes, which a direct training
	// program reads its gradients from.
	gnodes  []*G.Node
	outDims int
}

// Compile builds a program for model. loss may be nil for an evaluation
// program that only produces outputs.
//
// The values of the graph's nodes, for every sample of the batch, may hold
// at most MaxGraphValues elements in all: an absurd input shape or batch is
// an error before the input or the machine is allocated.
func Compile(model Model, mode Mode, batch int, loss Loss) (p *Program, err error) {
	if model == nil || isNilPointer(model) {
		return nil, fmt.Errorf("nn: compile: no model")
	}
	if batch <= 0 {
		return nil, fmt.Errorf("nn: batch size must be positive, got %d", batch)
	}
	if mode != Training && mode != Evaluation {
		return nil, fmt.Errorf("nn: unknown mode %d", mode)
	}
	if mode == Training && (loss == nil || isNilPointer(loss)) {
		return nil, fmt.Errorf("nn: a training program needs a loss")
	}
	// Building a graph touches Gorgonia's package-level state (operator
	// groups), so two compiles must not overlap.
	compileMu.Lock()
	defer compileMu.Unlock()
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
	// The input's value is allocated once the whole graph's size is known
	// to be within MaxGraphValues.
	xNode := G.NewTensor(g.ExprGraph, tensor.Float32, len(inShape), G.WithShape(inShape...), G.WithName("input"))
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
		if p.gnodes, err = G.Grad(p.loss, p.pnodes...); err != nil {
			return nil, errors.Wrap(err, "nn: gradient")
		}
		if len(p.gnodes) != len(p.pnodes) {
			return nil, fmt.Errorf("nn: gradient: %d nodes for %d parameters", len(p.gnodes), len(p.pnodes))
		}
	}
	if err := checkGraphSize(g.ExprGraph, batch); err != nil {
		return nil, err
	}
	p.x = tensor.New(tensor.WithShape(inShape...), tensor.WithBacking(make([]float32, xSize)))
	if err := G.Let(xNode, p.x); err != nil {
		return nil, errors.Wrap(err, "nn: bind the input")
	}
	// Programs call each op directly (direct.go), training programs too:
	// their graph holds the backward pass as ordinary nodes, and the ops,
	// so the bits, are the tape machine's. Feeds and hooks work on bound
	// values, outside either executor.
	if !tapeOnly && (mode == Training || len(g.feeds) == 0 && len(g.hooks) == 0) {
		p.direct, err = newDirect(g.ExprGraph)
		switch {
		case err == nil:
			return p, nil
		case !stderrors.Is(err, errNeedsTape):
			return nil, err
		}
	}
	if mode == Training {
		// The backward pass may reuse the output node's memory in place (it
		// does for MSE), so a read during the run keeps the outputs.
		G.Read(p.outputs, &p.outValue)
		opts = append(opts, G.BindDualValues(p.pnodes...))
	}
	p.vm = G.NewTapeMachine(g.ExprGraph, opts...)
	return p, nil
}

// MaxGraphValues bounds the values a compiled program's nodes hold in all,
// counted from their shapes before the machine allocates anything: 2^30
// float32 values, 4 GiB. The count is an upper bound (nodes that share
// memory count twice): the CIFAR VGG's training graph at batch 128 counts
// 336 million. It stops an absurd input shape or batch size, not a merely
// large one.
const MaxGraphValues = 1 << 30

var compileMu sync.Mutex

// tapeOnly makes evaluation programs run on the tape machine too, as they
// did before the direct executor: for tests that compare the two.
var tapeOnly bool

// checkGraphSize sums the elements of every node's shape.
func checkGraphSize(g *G.ExprGraph, batch int) error {
	total := 0
	for _, n := range g.AllNodes() {
		size := 1
		for _, d := range n.Shape() {
			if d > 0 && size > MaxGraphValues/d {
				size = MaxGraphValues + 1
				break
			}
			size *= max(d, 1)
		}
		if total += size; total > MaxGraphValues {
			return fmt.Errorf("nn: compile: the graph for a batch of %d holds more than %d values (%d nodes); use a smaller batch or input", batch, MaxGraphValues, len(g.AllNodes()))
		}
	}
	return nil
}

// isNilPointer reports a nil pointer inside an interface.
func isNilPointer(v any) bool {
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
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
	if p.vm != nil {
		for _, n := range p.pnodes {
			if gv, err := n.Grad(); err == nil {
				if t, ok := gv.(tensor.Tensor); ok {
					t.Zero()
				}
			}
		}
	}
	if p.direct != nil {
		if err := p.direct.run(); err != nil {
			return err
		}
	} else {
		p.vm.Reset()
		if err := p.vm.RunAll(); err != nil {
			return errors.Wrap(err, "nn: run")
		}
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
	switch {
	case p.direct != nil:
		return p.direct.value(p.outputs).Data().([]float32)
	case p.outValue != nil:
		return p.outValue.Data().([]float32)
	}
	return p.outputs.Value().Data().([]float32)
}

// OutputSize is the number of outputs per sample.
func (p *Program) OutputSize() int { return p.outDims }

// Loss returns the loss of the last run.
func (p *Program) Loss() float64 {
	switch {
	case p.loss == nil:
		return 0
	case p.direct != nil:
		return float64(p.direct.value(p.loss).Data().(float32))
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
	if p.direct != nil {
		for i, n := range p.gnodes {
			gv, ok := p.direct.value(n).Data().([]float32)
			if !ok || len(gv) != len(p.params[i].Data()) {
				return nil, fmt.Errorf("nn: gradient of %s has %d values, want %d", p.params[i].Name, len(gv), len(p.params[i].Data()))
			}
			dst = append(dst, gv)
		}
		return dst, nil
	}
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
