package nn

import (
	"errors"
	"fmt"

	G "gorgonia.org/gorgonia"
)

// direct runs an evaluation graph by calling each op's Do in topological
// order, with no tape machine. The ops, and so the arithmetic, are the
// machine's own, so the outputs are the same bits (tested); what goes is
// the machine's per-instruction bookkeeping, which dominated small batches
// (a batch-1 MLP ran 3 matrix products in about 80 us). An op that can
// write into given memory reuses its node's value from the last run.
type direct struct {
	nodes []*G.Node
	args  [][]int   // for each node, the positions of its children in nodes
	vals  []G.Value // each node's value in the current run
	buf   []G.Value // argument list, reused
	index map[*G.Node]int
}

// errNeedsTape is newDirect's answer for a graph that only the tape machine
// can run: one with a G.Read statement (a layer of a user's that reads a
// value out), which the machine executes as an instruction of its own.
var errNeedsTape = errors.New("nn: the graph has a read statement")

func newDirect(g *G.ExprGraph) (*direct, error) {
	sorted, err := G.Sort(g)
	if err != nil {
		return nil, fmt.Errorf("nn: sort the graph: %w", err)
	}
	for _, n := range sorted {
		if op := n.Op(); op != nil && fmt.Sprintf("%T", op) == "gorgonia.readOp" {
			return nil, errNeedsTape
		}
	}
	d := &direct{index: make(map[*G.Node]int, len(sorted))}
	for i := len(sorted) - 1; i >= 0; i-- { // Sort puts a node after its users
		n := sorted[i]
		var args []int
		for it := g.From(n.ID()); it.Next(); { // the op's arguments, in order
			c := it.Node().(*G.Node)
			j, ok := d.index[c]
			if !ok {
				return nil, fmt.Errorf("nn: node %v comes before its input %v", n, c)
			}
			args = append(args, j)
		}
		d.index[n] = len(d.nodes)
		d.nodes = append(d.nodes, n)
		d.args = append(d.args, args)
	}
	d.vals = make([]G.Value, len(d.nodes))
	return d, nil
}

// run computes every node's value.
func (d *direct) run() (err error) {
	defer catch(&err, "nn: run")
	for i, n := range d.nodes {
		op := n.Op()
		if op == nil { // an input or a parameter: its bound value
			d.vals[i] = n.Value()
			continue
		}
		d.buf = d.buf[:0]
		for _, j := range d.args[i] {
			d.buf = append(d.buf, d.vals[j])
		}
		var v G.Value
		var err error
		if pd, ok := op.(G.UsePreallocDoer); ok && d.vals[i] != nil && !op.ReturnsPtr() {
			// The node's value from the last run is its own memory:
			// compute into it rather than allocate.
			v, err = pd.UsePreallocDo(d.vals[i], d.buf...)
		} else {
			v, err = op.Do(d.buf...)
		}
		if err != nil {
			return fmt.Errorf("nn: run %v: %w", op, err)
		}
		d.vals[i] = v
	}
	clear(d.buf[:cap(d.buf)])
	return nil
}

// value returns n's value from the last run.
func (d *direct) value(n *G.Node) G.Value { return d.vals[d.index[n]] }
