package onnx

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/nn"
	"github.com/gozoo/gozoo/zoo"
)

// Limits bound what Import reads. The zero value means the defaults.
type Limits struct {
	// MaxBytes is the largest file Import reads. Default DefaultMaxBytes.
	MaxBytes int64
	// MaxNodes is the most nodes a graph may have. Default DefaultMaxNodes.
	MaxNodes int
}

// Default limits: room for the largest model gozoo can load (nn.MaxParams
// float32 parameters) and, per layer, a few nodes more than nn.MaxLayers.
const (
	DefaultMaxBytes = 4*nn.MaxParams + 64<<20
	DefaultMaxNodes = 4 * nn.MaxLayers
)

func (l Limits) withDefaults() (Limits, error) {
	if l.MaxBytes < 0 || l.MaxNodes < 0 {
		return l, fmt.Errorf("onnx: limits must not be negative, got %+v", l)
	}
	if l.MaxBytes == 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxNodes == 0 {
		l.MaxNodes = DefaultMaxNodes
	}
	return l, nil
}

// ImportOptions say how to build the model card of an imported model, and
// bound what Import reads. The card starts from the file's own (a gozoo
// export's CardKey metadata) or, for MNIST's input shapes ([784] or
// [1, 28, 28]) with 10 outputs, from modelcard.MNIST: pixels/255, the way
// torchvision's ToTensor feeds a model; otherwise it holds the input shape
// alone. Each field set here replaces the card's.
type ImportOptions struct {
	Dataset    string    // e.g. "mnist", "cifar10" or a name of your own
	Mean, Std  []float32 // per-channel normalisation of pixel/255
	ClassNames []string  // one per output
	Limits     Limits
}

// Model is what Import returns: an *nn.Sequential when the file's nodes
// form a chain of layers (as torch.onnx.export writes for a
// torch.nn.Sequential), else an *nn.GraphModel. Both are ordinary gozoo
// models: zoo.Save writes them, predict and recipes run them.
type Model interface {
	zoo.Model
	Layers() []nn.Layer
	LayerOutputShapes() [][]int
}

// Import reads an ONNX model whose nodes form a directed acyclic graph of
// layers, as torch.onnx.export writes for a torch.nn.Sequential or a
// torchvision ResNet, and returns it as a gozoo model with its model card;
// zoo.Save writes both as a model file. A chain becomes an *nn.Sequential,
// anything else (residual connections, branches joined by Add or Concat)
// an *nn.GraphModel. The nodes may be Gemm, MatMul (+Add), Conv, MaxPool,
// AveragePool (with PyTorch's Pad in front), GlobalAveragePool (followed
// by Flatten or Reshape), BatchNormalization, Relu, Tanh, Sigmoid, Softmax
// (last axis), Flatten, Reshape to [batch, features], Dropout, Identity,
// Add of two computed values and Concat, with float32 weights in
// initializers or Constant nodes. Anything else is an error naming the
// node and its operator (wrapping ErrUnsupported); a malformed file (a
// cycle, a value nothing produces, nodes out of topological order, a
// Concat of mismatched shapes) wraps ErrCorrupt and one over Limits
// ErrLimit. Import reads at most Limits.MaxBytes and allocates tensors only
// after checking their shapes against their data.
func Import(r io.Reader, opts ImportOptions) (Model, *modelcard.Card, error) {
	lim, err := opts.Limits.withDefaults()
	if err != nil {
		return nil, nil, err
	}
	var buf bytes.Buffer
	// A file or an in-memory reader says its size: read it into one
	// buffer of that size (never more than the limit) rather than growing one.
	size := int64(-1)
	switch v := r.(type) {
	case interface{ Stat() (os.FileInfo, error) }:
		if fi, err := v.Stat(); err == nil && fi.Mode().IsRegular() {
			size = fi.Size()
		}
	case interface{ Len() int }:
		size = int64(v.Len())
	}
	if size >= 0 && size <= lim.MaxBytes {
		buf.Grow(int(size) + bytes.MinRead)
	}
	n, err := buf.ReadFrom(io.LimitReader(r, lim.MaxBytes+1))
	if err != nil {
		return nil, nil, fmt.Errorf("onnx: read: %w", err)
	}
	if n > lim.MaxBytes {
		return nil, nil, limitf("file is larger than %d bytes", lim.MaxBytes)
	}
	opts.Limits = lim
	return importBytes(buf.Bytes(), opts)
}

// importBytes is Import on a file in memory, with limits filled in.
func importBytes(data []byte, opts ImportOptions) (Model, *modelcard.Card, error) {
	d := &decoder{lim: opts.Limits}
	m, err := d.model(data)
	if err != nil {
		return nil, nil, err
	}
	x, err := newImporter(m)
	if err != nil {
		return nil, nil, err
	}
	imported, err := x.run()
	if err != nil {
		return nil, nil, err
	}
	card, err := opts.card(m, imported)
	if err != nil {
		return nil, nil, err
	}
	return imported, card, nil
}

// card builds the imported model's card as ImportOptions says.
func (opts ImportOptions) card(m *model, imported Model) (*modelcard.Card, error) {
	in, out := imported.InputShape(), imported.OutputShape()
	if len(out) != 1 {
		return nil, unsupportedf("the model's outputs are %v per sample; gozoo models output vectors (add a Flatten)", out)
	}
	var card *modelcard.Card
	for _, kv := range m.metadata {
		if kv.key != CardKey {
			continue
		}
		c, _, err := modelcard.FromMetadata(map[string]string{modelcard.MetadataKey: kv.value})
		if err != nil {
			return nil, corruptf("metadata %q: %v", CardKey, err)
		}
		card = c
	}
	mnistShape := fmt.Sprint(in) == "[784]" || fmt.Sprint(in) == "[1 28 28]"
	switch {
	case card != nil:
	case mnistShape && out[0] == 10:
		card = modelcard.MNIST(in)
	default:
		card = &modelcard.Card{}
	}
	card.Shape = append([]int(nil), in...)
	if opts.Dataset != "" {
		card.Dataset = opts.Dataset
	}
	if opts.Mean != nil || opts.Std != nil {
		card.Mean, card.Std = append([]float32(nil), opts.Mean...), append([]float32(nil), opts.Std...)
	}
	if opts.ClassNames != nil {
		card.ClassNames = append([]string(nil), opts.ClassNames...)
	}
	if err := card.Validate(); err != nil {
		return nil, fmt.Errorf("onnx: model card: %w", err)
	}
	if err := card.CheckModel(in, out[0]); err != nil {
		return nil, fmt.Errorf("onnx: model card: %w", err)
	}
	return card, nil
}

// supportedOps lists the operators Import turns into layers, for messages.
const supportedOps = "Gemm, MatMul (+Add), Conv, MaxPool, AveragePool (after a zero Pad), GlobalAveragePool, BatchNormalization, " +
	"Relu, Tanh, Sigmoid, Softmax, Flatten, Reshape, Dropout, Identity, Add, Sum, Concat and Constant"

// importer walks a graph's nodes in their (topological) order, one layer
// per node, or none for Identity, Pad and the nodes folded into another's
// layer (a MatMul's bias Add, the Flatten after a GlobalAveragePool).
type importer struct {
	g         *graph
	opset     int64
	consts    map[string]*tensor // initializers and Constant outputs
	consumers map[string][]int   // value -> nodes reading it
	input     *valueInfo
	output    string
	batch     int64 // the input's fixed batch size, 0 if symbolic
	visited   []bool

	vals map[string]*value // ONNX values computed so far: the graph input and node outputs

	// The node being imported: what it reads, what it leaves.
	cur   *value   // its data input (the first)
	in    []*value // all its data inputs (a merge reads several)
	next  string   // the value it leaves for later nodes
	shape []int    // per-sample shape: of its data input, then of its layer's output
	pad   *pendingPad

	inputs []int // the model's per-sample input shape
	layers []nn.Layer
	reads  [][]string // for each layer, the layers (or InputName) it reads
	count  map[string]int
	params int
	rng    *rand.Rand
}

// value is what an ONNX value is in the model being built: the output of a
// layer, or of the graph input (ref InputName), seen through Identity.
type value struct {
	ref   string
	shape []int       // gozoo's per-sample shape
	pad   *pendingPad // a zero Pad of ref, for the Conv or AveragePool that reads it
	// pooled is the GlobalAveragePool whose output this is: [C, 1, 1] per
	// sample in ONNX, [C] in gozoo, until a Flatten or Reshape.
	pooled *node
}

// pendingPad is a zero Pad waiting for the pooling or convolution it pads.
type pendingPad struct {
	n    *node
	pads [2]int
}

func newImporter(m *model) (*importer, error) {
	g := m.graph
	if g == nil {
		return nil, corruptf("the file has no graph: not an ONNX model")
	}
	if m.irVersion < 3 {
		return nil, unsupportedf("IR version %d: gozoo reads IR version 3 (ONNX 1.0) and later", m.irVersion)
	}
	// Every node but these becomes a layer of its own: refuse a graph of
	// more than nn.MaxLayers of them before any per-node structure exists.
	layerNodes := 0
	for _, n := range g.nodes {
		switch n.opType {
		case "Constant", "Identity", "Pad", "Add", "Sum", "Concat", "Flatten", "Reshape":
		default:
			layerNodes++
		}
	}
	if layerNodes > nn.MaxLayers {
		return nil, limitf("the graph has %d nodes that each become a layer, more than %d (nn.MaxLayers)", layerNodes, nn.MaxLayers)
	}
	x := &importer{g: g, consts: map[string]*tensor{}, consumers: map[string][]int{}, vals: map[string]*value{},
		visited: make([]bool, len(g.nodes)), count: map[string]int{}, rng: rand.New(rand.NewPCG(0, 0))}
	for _, o := range m.opsets {
		if o.domain == "" || o.domain == "ai.onnx" {
			x.opset = o.version
		}
	}
	if x.opset < 7 || x.opset > 21 {
		return nil, unsupportedf("default-domain opset %d: gozoo reads opsets 7 to 21", x.opset)
	}
	if g.sparse > 0 {
		return nil, unsupportedf("the graph has %d sparse initializers", g.sparse)
	}
	for _, t := range g.initializers {
		if t.name == "" {
			return nil, corruptf("an initializer has no name")
		}
		if _, dup := x.consts[t.name]; dup {
			return nil, corruptf("two initializers are named %q", t.name)
		}
		x.consts[t.name] = t
	}
	var inputs []*valueInfo
	for _, in := range g.inputs {
		if _, isInit := x.consts[in.name]; !isInit { // IR < 4 lists initializers as inputs too
			inputs = append(inputs, in)
		}
	}
	if len(inputs) != 1 || len(g.outputs) != 1 {
		return nil, unsupportedf("the graph has %d inputs and %d outputs; gozoo imports one input and one output", len(inputs), len(g.outputs))
	}
	x.input, x.output = inputs[0], g.outputs[0].name
	if err := x.checkInput(); err != nil {
		return nil, err
	}
	if err := x.index(); err != nil {
		return nil, err
	}
	return x, nil
}

// checkInput reads the per-sample input shape: a float tensor [batch, F]
// or [batch, C, H, W] with fixed sizes behind a symbolic or fixed batch.
func (x *importer) checkInput() error {
	in := x.input
	if in.name == "" {
		return corruptf("the graph input has no name")
	}
	if !in.isTensor || in.elemType != typeFloat {
		return unsupportedf("graph input %q is not a FLOAT tensor (element type %s)", in.name, dataTypeName(in.elemType))
	}
	if !in.hasShape || (len(in.dims) != 2 && len(in.dims) != 4) {
		return unsupportedf("graph input %q has shape %s; gozoo imports inputs [batch, features] or [batch, channels, height, width]", in.name, dimsString(in))
	}
	if b := in.dims[0]; b.param == "" && b.value > 0 {
		x.batch = b.value
	}
	for _, d := range in.dims[1:] {
		if d.param != "" || d.value <= 0 || d.value > 1<<24 {
			return unsupportedf("graph input %q has shape %s; all but the batch dimension must be fixed sizes", in.name, dimsString(in))
		}
		x.inputs = append(x.inputs, int(d.value))
	}
	x.vals[in.name] = &value{ref: InputName, shape: x.inputs}
	return nil
}

// batchShape writes a per-sample shape behind the batch dimension.
func batchShape(s []int) string {
	parts := []string{"batch"}
	for _, d := range s {
		parts = append(parts, fmt.Sprint(d))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func dimsString(v *valueInfo) string {
	if !v.hasShape {
		return "unknown"
	}
	parts := make([]string, len(v.dims))
	for i, d := range v.dims {
		switch {
		case d.param != "":
			parts[i] = d.param
		case d.set:
			parts[i] = fmt.Sprint(d.value)
		default:
			parts[i] = "?"
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// index records constants and consumers, and checks that every value has
// one producer and that the nodes form no cycle.
func (x *importer) index() error {
	producer := map[string]int{}
	for _, n := range x.g.nodes {
		for _, out := range n.outputs {
			if out == "" {
				continue
			}
			if j, dup := producer[out]; dup {
				return corruptf("value %q is produced by nodes %d and %d", out, j, n.index)
			}
			if out == x.input.name {
				return corruptf("%s overwrites the graph input %q", n, out)
			}
			if _, isInit := x.consts[out]; isInit {
				return corruptf("%s overwrites the initializer %q", n, out)
			}
			producer[out] = n.index
		}
		if n.opType == "Constant" && (n.domain == "" || n.domain == "ai.onnx") {
			if len(n.outputs) != 1 || len(n.inputs) != 0 || n.outputs[0] == "" {
				return corruptf("%s has %d inputs and %d outputs, want none and one", n, len(n.inputs), len(n.outputs))
			}
			t, err := constantValue(n)
			if err != nil {
				return err
			}
			t.name = n.outputs[0]
			x.consts[n.outputs[0]] = t
		}
		// An Identity of a constant is that constant under another name:
		// torch.onnx.export writes one for every initializer equal to
		// another (the zero biases of a freshly built torchvision ResNet,
		// its BatchNorms folded). It becomes no layer.
		if n.opType == "Identity" && (n.domain == "" || n.domain == "ai.onnx") && len(n.inputs) == 1 && len(n.outputs) == 1 && n.outputs[0] != "" {
			if t, isConst := x.consts[n.inputs[0]]; isConst {
				alias := *t
				alias.name = n.outputs[0]
				x.consts[n.outputs[0]] = &alias
				x.visited[n.index] = true
			}
		}
	}
	if _, ok := producer[x.output]; !ok && x.output != x.input.name {
		return corruptf("no node produces the graph output %q", x.output)
	}
	// Kahn's algorithm: a node is ready once every input it reads from
	// another node is ready.
	waiting := make([]int, len(x.g.nodes))
	for _, n := range x.g.nodes {
		seen := map[string]bool{}
		for _, in := range n.inputs {
			if in == "" || seen[in] {
				continue
			}
			seen[in] = true
			x.consumers[in] = append(x.consumers[in], n.index)
			if _, ok := producer[in]; ok {
				waiting[n.index]++
				continue
			}
			if _, isConst := x.consts[in]; !isConst && in != x.input.name {
				return corruptf("%s reads %q, which nothing produces", n, in)
			}
		}
	}
	ready := []int{}
	for i, w := range waiting {
		if w == 0 {
			ready = append(ready, i)
		}
	}
	done := 0
	for len(ready) > 0 {
		i := ready[len(ready)-1]
		ready = ready[:len(ready)-1]
		done++
		for _, out := range x.g.nodes[i].outputs {
			if out == "" {
				continue
			}
			for _, j := range x.consumers[out] {
				if waiting[j]--; waiting[j] == 0 {
					ready = append(ready, j)
				}
			}
		}
	}
	if done < len(x.g.nodes) {
		for i, w := range waiting {
			if w > 0 {
				return corruptf("the graph has a cycle through %s", x.g.nodes[i])
			}
		}
	}
	// ONNX lists a graph's nodes in topological order (onnx.checker
	// insists), which is the order they are imported in.
	for _, n := range x.g.nodes {
		for _, in := range n.inputs {
			if j, ok := producer[in]; ok && j > n.index {
				return corruptf("%s reads %q, which %s after it produces; ONNX lists nodes in topological order", n, in, x.g.nodes[j])
			}
		}
	}
	// Every node must lead to the output: walk back from it.
	leads := make([]bool, len(x.g.nodes))
	if j, ok := producer[x.output]; ok {
		leads[j] = true
	}
	for i := len(x.g.nodes) - 1; i >= 0; i-- {
		if !leads[i] {
			continue
		}
		for _, in := range x.g.nodes[i].inputs {
			if j, ok := producer[in]; ok {
				leads[j] = true
			}
		}
	}
	for i, n := range x.g.nodes {
		if !leads[i] && n.opType != "Constant" {
			return unsupportedf("%s does not lead to the graph output %q", n, x.output)
		}
	}
	return nil
}

func (n *node) String() string {
	name := n.name
	if name == "" {
		name = "(unnamed)"
	}
	return fmt.Sprintf("node %d %q (%s)", n.index, name, n.opType)
}

// constantValue returns the tensor a Constant node holds.
func constantValue(n *node) (*tensor, error) {
	if len(n.attrs) != 1 {
		return nil, corruptf("%s has %d attributes, want one value", n, len(n.attrs))
	}
	a := n.attrs[0]
	switch {
	case a.name == "value" && a.typ == attrTensor && a.t != nil:
		return a.t, nil
	case a.name == "value_float" && a.typ == attrFloat:
		return floatTensor(nil, []float32{a.f}), nil
	case a.name == "value_floats" && a.typ == attrFloats:
		return floatTensor([]int64{int64(len(a.floats))}, a.floats), nil
	case a.name == "value_int" && a.typ == attrInt:
		return &tensor{dataType: typeInt64, ints: []int64{a.i}}, nil
	case a.name == "value_ints" && a.typ == attrInts:
		return &tensor{dataType: typeInt64, dims: []int64{int64(len(a.ints))}, ints: a.ints}, nil
	}
	return nil, unsupportedf("%s holds a %q attribute; gozoo reads float and int64 constants", n, a.name)
}

func floatTensor(dims []int64, v []float32) *tensor {
	t := &tensor{dataType: typeFloat, dims: dims, floatCount: len(v), floatsOwned: true}
	for _, f := range v {
		t.floats = append(t.floats, byte(math.Float32bits(f)), byte(math.Float32bits(f)>>8), byte(math.Float32bits(f)>>16), byte(math.Float32bits(f)>>24))
	}
	return t
}

// run imports the nodes in order and builds the model.
func (x *importer) run() (Model, error) {
	for _, n := range x.g.nodes {
		if x.visited[n.index] || n.opType == "Constant" && (n.domain == "" || n.domain == "ai.onnx") {
			continue // folded into an earlier node's layer, or a weight
		}
		x.visited[n.index] = true
		if err := x.step(n); err != nil {
			return nil, err
		}
	}
	out := x.vals[x.output]
	switch {
	case out == nil:
		return nil, unsupportedf("the graph output %q is a constant, not computed from the input %q", x.output, x.input.name)
	case out.pad != nil:
		return nil, unsupportedf("%s is not followed by a Conv or AveragePool", out.pad.n)
	case out.pooled != nil:
		return nil, unsupportedf("the graph output %q is %s's [batch, channels, 1, 1]; gozoo models output vectors (add a Flatten)", x.output, out.pooled)
	}
	m, err := x.build(out)
	if err != nil {
		return nil, err
	}
	for _, o := range x.g.outputs {
		if !o.hasShape {
			continue
		}
		want := append([]int{-1}, m.OutputShape()...)
		if len(o.dims) != len(want) {
			return nil, corruptf("graph output %q is declared %s, but the layers give %v per sample", o.name, dimsString(o), m.OutputShape())
		}
		for i, d := range o.dims[1:] {
			if d.param == "" && d.set && d.value != int64(want[i+1]) {
				return nil, corruptf("graph output %q is declared %s, but the layers give %v per sample", o.name, dimsString(o), m.OutputShape())
			}
		}
	}
	return m, nil
}

// build makes the layers a Sequential when each reads the one before it
// (the first the input) and the last is the output, else a GraphModel.
func (x *importer) build(out *value) (Model, error) {
	chain := out.ref == InputName && len(x.layers) == 0 ||
		len(x.layers) > 0 && out.ref == x.layers[len(x.layers)-1].Name()
	for i, reads := range x.reads {
		prev := InputName
		if i > 0 {
			prev = x.layers[i-1].Name()
		}
		chain = chain && len(reads) == 1 && reads[0] == prev
	}
	if chain {
		seq, err := nn.NewSequential(x.inputs, x.layers...)
		if err != nil {
			return nil, fmt.Errorf("onnx: %w", err)
		}
		return seq, nil
	}
	b := nn.NewGraphBuilder(x.rng)
	refs := map[string]nn.Ref{InputName: b.Input(InputName, x.inputs...)}
	for i, l := range x.layers {
		in := make([]nn.Ref, len(x.reads[i]))
		for j, r := range x.reads[i] {
			in[j] = refs[r]
		}
		refs[l.Name()] = b.Apply(l, in...)
	}
	g, err := b.Build(refs[out.ref])
	if err != nil {
		return nil, unsupportedf("%v", err)
	}
	return g, nil
}

// step turns one node into a layer (or none, for Identity and Pad, and the
// Flatten after a GlobalAveragePool).
func (x *importer) step(n *node) error {
	if n.domain != "" && n.domain != "ai.onnx" {
		return unsupportedf("%s is in domain %q; gozoo imports the default ONNX domain's %s", n, n.domain, supportedOps)
	}
	if n.hasGraphAttr {
		return unsupportedf("%s has a subgraph attribute (control flow)", n)
	}
	if len(n.outputs) == 0 || n.outputs[0] == "" {
		return corruptf("%s has no output", n)
	}
	for _, a := range n.attrs {
		if a.hasRef {
			return corruptf("%s: attribute %q refers to a function attribute outside a function", n, a.name)
		}
	}
	// Outputs past the first (Dropout's mask, MaxPool's indices, training
	// BatchNorm's statistics) must be unused.
	for _, extra := range n.outputs[1:] {
		if extra != "" && (len(x.consumers[extra]) > 0 || extra == x.output) {
			return unsupportedf("%s: its output %q is used; gozoo layers have one output", n, extra)
		}
	}
	if len(n.inputs) == 0 || n.inputs[0] == "" {
		return corruptf("%s has no input", n)
	}
	x.next, x.pad = n.outputs[0], nil
	merge := n.opType == "Concat" || n.opType == "Sum" || n.opType == "Add" && len(n.inputs) == 2 && x.vals[n.inputs[0]] != nil && x.vals[n.inputs[1]] != nil
	switch {
	case merge:
		return x.merge(n)
	case n.opType == "Add" && (len(n.inputs) != 2 || n.inputs[1] == ""):
		return corruptf("%s has inputs %q, want 2", n, n.inputs)
	case n.opType == "Add":
		return unsupportedf("%s adds a constant; gozoo imports an Add of a constant only as the bias after a MatMul", n)
	}
	v := x.vals[n.inputs[0]]
	switch {
	case v == nil:
		return unsupportedf("%s computes on the constant %q; gozoo layers compute on values from the graph input", n, n.inputs[0])
	case v.pad != nil && n.opType != "Conv" && n.opType != "AveragePool":
		return unsupportedf("%s pads the input of %s; gozoo folds a zero Pad only into a Conv or AveragePool", v.pad.n, n)
	case v.pooled != nil && n.opType != "Flatten" && n.opType != "Reshape" && n.opType != "Identity":
		return unsupportedf("%s reads the [batch, channels, 1, 1] output of %s; gozoo takes a GlobalAveragePool's output only through a Flatten or Reshape to [batch, channels]", n, v.pooled)
	}
	x.cur, x.in, x.shape, x.pad = v, []*value{v}, v.shape, v.pad
	layers := len(x.layers)
	var err error
	switch n.opType {
	case "Gemm":
		err = x.gemm(n)
	case "MatMul":
		err = x.matMul(n)
	case "Conv":
		err = x.conv(n)
	case "MaxPool", "AveragePool":
		err = x.pool(n)
	case "GlobalAveragePool":
		err = x.globalPool(n)
	case "Pad":
		err = x.padding(n)
	case "BatchNormalization":
		err = x.batchNorm(n)
	case "Relu", "Tanh", "Sigmoid":
		if err = checkAttrs(n); err == nil {
			err = x.only(n, 1)
		}
		if err == nil {
			typ := map[string]string{"Relu": "ReLU", "Tanh": "Tanh", "Sigmoid": "Sigmoid"}[n.opType]
			err = x.add(n, strings.ToLower(typ), typ, nil, nil)
		}
	case "Softmax":
		err = x.softmax(n)
	case "Flatten":
		err = x.flatten(n)
	case "Reshape":
		err = x.reshape(n)
	case "Dropout":
		err = x.dropout(n)
	case "Identity":
		if err = checkAttrs(n); err == nil {
			err = x.only(n, 1)
		}
	default:
		err = unsupportedf("%s: operator %s is not supported; gozoo imports graphs of %s", n, n.opType, supportedOps)
	}
	if err != nil {
		return err
	}
	out := *v // Identity, and a Flatten of a pooled value: the same layer output
	switch {
	case len(x.layers) > layers:
		out = value{ref: x.layers[len(x.layers)-1].Name(), shape: x.shape}
		if n.opType == "GlobalAveragePool" {
			out.pooled = n
		}
	case n.opType == "Pad":
		out.pad = x.pad
	case n.opType == "Flatten" || n.opType == "Reshape":
		out.pooled = nil
	}
	x.vals[x.next] = &out
	return nil
}

// merge imports an Add of two computed values (torchvision's `out +=
// identity`), a Sum of any number, or a Concat, as gozoo's Add or
// Concatenate.
func (x *importer) merge(n *node) error {
	x.in = nil
	for _, name := range n.inputs {
		v := x.vals[name]
		switch {
		case name == "":
			return corruptf("%s has an empty input name", n)
		case v == nil:
			return unsupportedf("%s joins the constant %q; gozoo merges values computed from the graph input", n, name)
		case v.pad != nil:
			return unsupportedf("%s pads the input of %s; gozoo folds a zero Pad only into a Conv or AveragePool", v.pad.n, n)
		case v.pooled != nil:
			return unsupportedf("%s reads the [batch, channels, 1, 1] output of %s; gozoo takes a GlobalAveragePool's output only through a Flatten or Reshape to [batch, channels]", n, v.pooled)
		}
		x.in = append(x.in, v)
	}
	first := x.in[0]
	if n.opType != "Concat" { // Add, Sum
		if err := checkAttrs(n); err != nil {
			return err
		}
		for i, other := range x.in[1:] {
			if !slices.Equal(first.shape, other.shape) {
				return unsupportedf("%s adds %q of shape %s and %q of shape %s; gozoo adds values of one shape, without broadcasting",
					n, n.inputs[0], batchShape(first.shape), n.inputs[i+1], batchShape(other.shape))
			}
		}
		if len(x.in) == 1 { // a Sum of one value is that value
			x.vals[x.next] = first
			return nil
		}
		return x.addMerge(n, "add", "Add", nil)
	}
	m, err := attrMap(n, "axis:i")
	if err != nil {
		return err
	}
	a, ok := m["axis"]
	if !ok {
		return corruptf("%s has no axis", n)
	}
	rank := int64(len(first.shape) + 1)
	axis := a.i
	if axis < 0 {
		axis += rank
	}
	switch {
	case axis < 0 || axis >= rank:
		return corruptf("%s: axis %d is out of range for inputs of rank %d", n, a.i, rank)
	case axis == 0:
		return unsupportedf("%s concatenates along the batch axis; gozoo concatenates samples' features or channels", n)
	}
	for i, v := range x.in[1:] {
		same := len(v.shape) == len(first.shape)
		for d := 0; same && d < len(v.shape); d++ {
			same = int64(d+1) == axis || v.shape[d] == first.shape[d]
		}
		if !same {
			return corruptf("%s: input %q is %s but input %q is %s; all but axis %d must agree",
				n, n.inputs[0], batchShape(first.shape), n.inputs[i+1], batchShape(v.shape), axis)
		}
	}
	if len(x.in) == 1 { // a Concat of one value is that value
		x.vals[x.next] = first
		return nil
	}
	return x.addMerge(n, "concat", "Concatenate", nn.ConcatenateConfig{Axis: int(axis - 1)})
}

// addMerge adds a merge layer reading x.in and records its output.
func (x *importer) addMerge(n *node, prefix, typ string, config any) error {
	if err := x.add(n, prefix, typ, config, nil); err != nil {
		return err
	}
	x.vals[x.next] = &value{ref: x.layers[len(x.layers)-1].Name(), shape: x.shape}
	return nil
}

// globalPool imports a GlobalAveragePool, whose [C, 1, 1] output must be
// flattened before anything but an Identity reads it (gozoo's global
// pooling gives [C]).
func (x *importer) globalPool(n *node) error {
	if err := checkAttrs(n); err != nil {
		return err
	}
	if err := x.only(n, 1); err != nil {
		return err
	}
	if len(x.shape) != 3 {
		return unsupportedf("%s: global pooling needs [batch, channels, height, width] input, this one is %s", n, batchShape(x.shape))
	}
	return x.add(n, "globalpool", "GlobalAveragePooling2D", nil, nil)
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// only checks that n reads nothing but the layer input beyond its first
// max inputs (optional inputs may be "").
func (x *importer) only(n *node, max int) error {
	for i, in := range n.inputs {
		if i >= max && in != "" {
			return unsupportedf("%s has %d inputs, want at most %d", n, len(n.inputs), max)
		}
	}
	return nil
}

// checkAttrs refuses any attribute of n not in allowed (see attrMap).
func checkAttrs(n *node, allowed ...string) error {
	_, err := attrMap(n, allowed...)
	return err
}

// attrMap returns n's attributes by name. allowed lists "name:type" with
// type one of f, i, s, fs, is (float, int, string, floats, ints): any other
// attribute is unsupported (it could change the operator's meaning), and
// one of the wrong type or given twice is corrupt.
func attrMap(n *node, allowed ...string) (map[string]*attribute, error) {
	types := map[string]int64{"f": attrFloat, "i": attrInt, "s": attrString, "t": attrTensor, "fs": attrFloats, "is": attrInts}
	want := map[string]int64{}
	for _, a := range allowed {
		name, typ, _ := strings.Cut(a, ":")
		want[name] = types[typ]
	}
	m := map[string]*attribute{}
	for _, a := range n.attrs {
		t, ok := want[a.name]
		if !ok {
			return nil, unsupportedf("%s: attribute %q is not supported", n, a.name)
		}
		if a.typ != t {
			return nil, corruptf("%s: attribute %q has type %d, want %d", n, a.name, a.typ, t)
		}
		if _, dup := m[a.name]; dup {
			return nil, corruptf("%s: attribute %q is given twice", n, a.name)
		}
		m[a.name] = a
	}
	return m, nil
}

func intOr(m map[string]*attribute, name string, def int64) int64 {
	if a, ok := m[name]; ok {
		return a.i
	}
	return def
}

func floatOr(m map[string]*attribute, name string, def float32) float32 {
	if a, ok := m[name]; ok {
		return a.f
	}
	return def
}

// pairOr reads an ints attribute of length 2 (or 4, for pads, which must be
// symmetric: [top, left, bottom, right] with top = bottom, left = right).
func pairOr(n *node, m map[string]*attribute, name string, def [2]int, min int64) ([2]int, error) {
	a, ok := m[name]
	if !ok {
		return def, nil
	}
	v := a.ints
	switch {
	case name == "pads":
		if len(v) != 4 {
			return def, unsupportedf("%s: pads %v: gozoo layers are 2-D", n, v)
		}
		if v[0] != v[2] || v[1] != v[3] {
			return def, unsupportedf("%s: pads %v are not symmetric; gozoo pads both sides alike", n, v)
		}
		v = v[:2]
	case len(v) != 2:
		return def, unsupportedf("%s: %s %v: gozoo layers are 2-D", n, name, a.ints)
	}
	for _, e := range v {
		if e < min || e > 1<<16 {
			return def, corruptf("%s: %s %v out of range", n, name, a.ints)
		}
	}
	return [2]int{int(v[0]), int(v[1])}, nil
}

// weights returns input i of n as a float32 constant with the given rank.
func (x *importer) weights(n *node, i, rank int) ([]float32, []int64, error) {
	if i >= len(n.inputs) || n.inputs[i] == "" {
		return nil, nil, corruptf("%s lacks input %d", n, i)
	}
	t, ok := x.consts[n.inputs[i]]
	if !ok {
		return nil, nil, unsupportedf("%s: input %d (%q) is not a constant; gozoo layers take their weights from initializers", n, i, n.inputs[i])
	}
	what := fmt.Sprintf("%s input %q", n, n.inputs[i])
	if rank >= 0 && len(t.dims) != rank {
		return nil, nil, unsupportedf("%s has shape %v, want %d dimensions", what, t.dims, rank)
	}
	v, err := t.float32s(what, nn.MaxParams-x.params)
	if err != nil {
		return nil, nil, err
	}
	return v, t.dims, nil
}

// vector returns input i of n as a float constant of size want: shape
// [want], [1, want], or a broadcast scalar ([], [1]).
func (x *importer) vector(n *node, i, want int) ([]float32, error) {
	v, dims, err := x.weights(n, i, -1)
	if err != nil {
		return nil, err
	}
	switch {
	case len(v) == want && (len(dims) == 1 || (len(dims) == 2 && dims[0] == 1)):
		return v, nil
	case len(v) == 1 && len(dims) <= 1:
		out := make([]float32, want)
		for j := range out {
			out[j] = v[0]
		}
		return out, nil
	}
	return nil, unsupportedf("%s: input %q has shape %v, want [%d]", n, n.inputs[i], dims, want)
}

func (x *importer) scalarOr(n *node, i int, def float32) (float32, error) {
	if i >= len(n.inputs) || n.inputs[i] == "" {
		return def, nil
	}
	v, err := x.vector(n, i, 1)
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

// add builds the layer a node becomes, checks it against the current
// shape and fills its parameters from weights (keyed by what follows the
// "/" in their names).
func (x *importer) add(n *node, prefix, typ string, config any, weights map[string][]float32) error {
	if len(x.layers) >= nn.MaxLayers {
		return limitf("the model has more than %d layers", nn.MaxLayers)
	}
	x.count[prefix]++
	spec := nn.LayerSpec{Type: typ, Name: fmt.Sprintf("%s%d", prefix, x.count[prefix])}
	if config != nil {
		raw, err := json.Marshal(config)
		if err != nil {
			return fmt.Errorf("onnx: %s: %w", n, err)
		}
		spec.Config = raw
	}
	size := 0
	for _, w := range weights {
		size += len(w)
	}
	if x.params+size > nn.MaxParams {
		return limitf("the model has more than %d parameters (at %s)", nn.MaxParams, n)
	}
	l, err := nn.NewLayer(spec, x.rng)
	if err != nil {
		return unsupportedf("%s: %v", n, err)
	}
	var out []int
	reads := make([]string, len(x.in))
	shapes := make([][]int, len(x.in))
	for i, v := range x.in {
		reads[i], shapes[i] = v.ref, v.shape
	}
	if mg, ok := l.(nn.Merger); ok {
		out, err = mg.MergeShape(shapes)
	} else {
		out, err = l.OutputShape(x.shape)
	}
	if err != nil {
		return unsupportedf("%s: as gozoo's %s layer: %v", n, typ, err)
	}
	for _, p := range l.Params() {
		_, what, _ := strings.Cut(p.Name, "/")
		w, ok := weights[what]
		if !ok || len(w) != len(p.Data()) {
			return corruptf("%s: %s holds %d values, the layer wants %d", n, what, len(w), len(p.Data()))
		}
		copy(p.Data(), w)
	}
	x.params += size
	x.layers = append(x.layers, l)
	x.reads = append(x.reads, reads)
	x.shape = out
	return nil
}

func (x *importer) needVector(n *node) (int, error) {
	if len(x.shape) != 1 {
		return 0, unsupportedf("%s: a gozoo Dense layer takes [batch, features], this input is %s (flatten it first)", n, batchShape(x.shape))
	}
	return x.shape[0], nil
}

func (x *importer) gemm(n *node) error {
	m, err := attrMap(n, "alpha:f", "beta:f", "transA:i", "transB:i")
	if err != nil {
		return err
	}
	if intOr(m, "transA", 0) != 0 {
		return unsupportedf("%s: transA=1 is not supported", n)
	}
	if err := x.only(n, 3); err != nil {
		return err
	}
	in, err := x.needVector(n)
	if err != nil {
		return err
	}
	b, dims, err := x.weights(n, 1, 2)
	if err != nil {
		return err
	}
	transB := intOr(m, "transB", 0) != 0
	rows, cols := int(dims[0]), int(dims[1])
	if transB {
		rows, cols = cols, rows
	}
	if rows != in || cols == 0 {
		return corruptf("%s: weight %q is %v (transB=%v), the input has %d features", n, n.inputs[1], dims, transB, in)
	}
	w := b
	if transB { // [out, in] -> [in, out]
		w = make([]float32, len(b))
		for i := 0; i < rows; i++ {
			for j := 0; j < cols; j++ {
				w[i*cols+j] = b[j*rows+i]
			}
		}
	}
	scale(w, floatOr(m, "alpha", 1))
	bias := make([]float32, cols)
	if len(n.inputs) > 2 && n.inputs[2] != "" {
		if bias, err = x.vector(n, 2, cols); err != nil {
			return err
		}
		bias = append([]float32(nil), bias...)
		scale(bias, floatOr(m, "beta", 1))
	}
	return x.add(n, "dense", "Dense", nn.DenseConfig{Inputs: rows, Outputs: cols}, map[string][]float32{"weight": w, "bias": bias})
}

func scale(v []float32, s float32) {
	if s != 1 {
		for i := range v {
			v[i] *= s
		}
	}
}

// matMul imports MatMul(x, W), and the Add of a bias after it.
func (x *importer) matMul(n *node) error {
	if err := checkAttrs(n); err != nil {
		return err
	}
	if len(n.inputs) != 2 {
		return corruptf("%s has %d inputs, want 2", n, len(n.inputs))
	}
	in, err := x.needVector(n)
	if err != nil {
		return err
	}
	w, dims, err := x.weights(n, 1, 2)
	if err != nil {
		return err
	}
	if int(dims[0]) != in || dims[1] == 0 {
		return corruptf("%s: weight %q is %v, the input has %d features", n, n.inputs[1], dims, in)
	}
	out := int(dims[1])
	bias := make([]float32, out)
	if users := x.consumers[n.outputs[0]]; len(users) == 1 && n.outputs[0] != x.output {
		if add := x.g.nodes[users[0]]; add.opType == "Add" && (add.domain == "" || add.domain == "ai.onnx") && len(add.inputs) == 2 && !x.visited[add.index] {
			other := 1 - indexOf(add.inputs, n.outputs[0])
			if _, isConst := x.consts[add.inputs[other]]; isConst && add.inputs[0] != add.inputs[1] {
				if err := checkAttrs(add); err != nil {
					return err
				}
				if len(add.outputs) != 1 || add.outputs[0] == "" {
					return corruptf("%s has %d outputs, want 1", add, len(add.outputs))
				}
				if bias, err = x.vector(add, other, out); err != nil {
					return err
				}
				x.visited[add.index] = true
				x.next = add.outputs[0]
			}
		}
	}
	return x.add(n, "dense", "Dense", nn.DenseConfig{Inputs: in, Outputs: out}, map[string][]float32{"weight": w, "bias": bias})
}

// window reads the common attributes of Conv and the pools.
func (x *importer) window(n *node, m map[string]*attribute, kernel [2]int) (stride, pad [2]int, err error) {
	if a, ok := m["kernel_shape"]; ok && (len(a.ints) != 2 || a.ints[0] != int64(kernel[0]) || a.ints[1] != int64(kernel[1])) {
		return stride, pad, corruptf("%s: kernel_shape %v does not match the kernel %v", n, a.ints, kernel)
	}
	if stride, err = pairOr(n, m, "strides", [2]int{1, 1}, 1); err != nil {
		return
	}
	if pad, err = pairOr(n, m, "pads", [2]int{0, 0}, 0); err != nil {
		return
	}
	dil, err := pairOr(n, m, "dilations", [2]int{1, 1}, 1)
	if err != nil {
		return
	}
	if dil != [2]int{1, 1} {
		return stride, pad, unsupportedf("%s: dilations %v; gozoo windows are not dilated", n, dil)
	}
	switch ap := string(attrBytes(m, "auto_pad")); ap {
	case "", "NOTSET":
	case "VALID":
		pad = [2]int{}
	default:
		return stride, pad, unsupportedf("%s: auto_pad %s; give explicit pads", n, ap)
	}
	if len(x.shape) != 3 {
		return stride, pad, unsupportedf("%s: a 2-D window needs [batch, channels, height, width] input, this one is %s", n, batchShape(x.shape))
	}
	if x.pad != nil {
		pad[0] += x.pad.pads[0]
		pad[1] += x.pad.pads[1]
		x.pad = nil
	}
	return stride, pad, nil
}

func attrBytes(m map[string]*attribute, name string) []byte {
	if a, ok := m[name]; ok {
		return a.s
	}
	return nil
}

func (x *importer) conv(n *node) error {
	m, err := attrMap(n, "kernel_shape:is", "strides:is", "pads:is", "dilations:is", "group:i", "auto_pad:s")
	if err != nil {
		return err
	}
	if err := x.only(n, 3); err != nil {
		return err
	}
	if g := intOr(m, "group", 1); g != 1 {
		return unsupportedf("%s: group %d; gozoo convolutions are not grouped", n, g)
	}
	w, dims, err := x.weights(n, 1, 4)
	if err != nil {
		return err
	}
	for _, d := range dims {
		if d == 0 || d > 1<<16 {
			return corruptf("%s: weight %q has shape %v", n, n.inputs[1], dims)
		}
	}
	kernel := [2]int{int(dims[2]), int(dims[3])}
	stride, pad, err := x.window(n, m, kernel)
	if err != nil {
		return err
	}
	if int(dims[1]) != x.shape[0] {
		return corruptf("%s: weight %q has shape %v, the input has %d channels", n, n.inputs[1], dims, x.shape[0])
	}
	cfg := nn.Conv2DConfig{InChannels: int(dims[1]), OutChannels: int(dims[0]), Kernel: kernel, Stride: stride, Padding: pad}
	weights := map[string][]float32{"weight": w}
	if len(n.inputs) > 2 && n.inputs[2] != "" {
		b, err := x.vector(n, 2, cfg.OutChannels)
		if err != nil {
			return err
		}
		cfg.Bias, weights["bias"] = true, b
	}
	return x.add(n, "conv", "Conv2D", cfg, weights)
}

func (x *importer) pool(n *node) error {
	allowed := []string{"kernel_shape:is", "strides:is", "pads:is", "dilations:is", "ceil_mode:i", "auto_pad:s"}
	avg := n.opType == "AveragePool"
	if avg {
		allowed = append(allowed, "count_include_pad:i")
	} else {
		allowed = append(allowed, "storage_order:i")
	}
	m, err := attrMap(n, allowed...)
	if err != nil {
		return err
	}
	if err := x.only(n, 1); err != nil {
		return err
	}
	k, ok := m["kernel_shape"]
	if !ok || len(k.ints) != 2 || k.ints[0] <= 0 || k.ints[1] <= 0 || k.ints[0] > 1<<16 || k.ints[1] > 1<<16 {
		return corruptf("%s needs a 2-D kernel_shape, got %v", n, k)
	}
	kernel := [2]int{int(k.ints[0]), int(k.ints[1])}
	explicit, err := pairOr(n, m, "pads", [2]int{0, 0}, 0)
	if err != nil {
		return err
	}
	if avg && explicit != [2]int{} && intOr(m, "count_include_pad", 0) == 0 {
		return unsupportedf("%s: padding with count_include_pad=0; gozoo's average pooling divides by the whole kernel (PyTorch's count_include_pad=True)", n)
	}
	stride, pad, err := x.window(n, m, kernel)
	if err != nil {
		return err
	}
	if intOr(m, "ceil_mode", 0) != 0 {
		for i, size := range x.shape[1:] {
			span := size + 2*pad[i] - kernel[i]
			if span >= 0 && span%stride[i] != 0 {
				return unsupportedf("%s: ceil_mode=1 changes the output size here; gozoo rounds down", n)
			}
		}
	}
	if intOr(m, "storage_order", 0) != 0 {
		return unsupportedf("%s: storage_order=1 is not supported", n)
	}
	typ, prefix := "MaxPool2D", "pool"
	if avg {
		typ = "AvgPool2D"
	}
	return x.add(n, prefix, typ, nn.Pool2DConfig{Kernel: kernel, Stride: stride, Padding: pad}, nil)
}

// padding reads a zero, symmetric Pad over height and width, which the next
// Conv or AveragePool takes as its own padding (PyTorch writes a Pad in
// front of AveragePool for count_include_pad=True).
func (x *importer) padding(n *node) error {
	m, err := attrMap(n, "mode:s", "pads:is", "value:f")
	if err != nil {
		return err
	}
	if mode := string(attrBytes(m, "mode")); mode != "" && mode != "constant" {
		return unsupportedf("%s: mode %q; gozoo pads with zeros", n, mode)
	}
	if len(x.shape) != 3 {
		return unsupportedf("%s pads a %s input; gozoo pads images only", n, batchShape(x.shape))
	}
	var pads []int64
	if a, ok := m["pads"]; ok {
		if err := x.only(n, 1); err != nil {
			return err
		}
		pads = a.ints
	} else {
		if err := x.only(n, 3); err != nil {
			return err
		}
		if len(n.inputs) < 2 || n.inputs[1] == "" {
			return corruptf("%s has no pads", n)
		}
		t, ok := x.consts[n.inputs[1]]
		if !ok {
			return unsupportedf("%s: pads %q are not a constant", n, n.inputs[1])
		}
		if pads, err = t.int64s(fmt.Sprintf("%s pads", n)); err != nil {
			return err
		}
	}
	value := floatOr(m, "value", 0)
	if len(n.inputs) > 2 && n.inputs[2] != "" {
		if value, err = x.scalarOr(n, 2, 0); err != nil {
			return err
		}
	}
	if value != 0 {
		return unsupportedf("%s pads with %v; gozoo pads with zeros", n, value)
	}
	if len(pads) != 8 || pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0 || pads[2] != pads[6] || pads[3] != pads[7] || pads[2] < 0 || pads[3] < 0 || pads[2] > 1<<16 || pads[3] > 1<<16 {
		return unsupportedf("%s: pads %v; gozoo folds only equal padding of height and width", n, pads)
	}
	x.pad = &pendingPad{n: n, pads: [2]int{int(pads[2]), int(pads[3])}}
	return nil
}

func (x *importer) batchNorm(n *node) error {
	m, err := attrMap(n, "epsilon:f", "momentum:f", "spatial:i", "training_mode:i", "is_test:i")
	if err != nil {
		return err
	}
	if intOr(m, "training_mode", 0) != 0 {
		return unsupportedf("%s is in training mode", n)
	}
	if intOr(m, "spatial", 1) != 1 {
		return unsupportedf("%s: spatial=0 is not supported", n)
	}
	if len(n.inputs) != 5 {
		return corruptf("%s has %d inputs, want 5", n, len(n.inputs))
	}
	var typ string
	switch len(x.shape) {
	case 1:
		typ = "BatchNorm1D"
	case 3:
		typ = "BatchNorm2D"
	default:
		return unsupportedf("%s normalises a %s input; gozoo's batch norms take [batch, features] or [batch, channels, height, width]", n, batchShape(x.shape))
	}
	c := x.shape[0]
	w := map[string][]float32{}
	for i, what := range []string{"gamma", "beta", "running_mean", "running_var"} {
		v, err := x.vector(n, i+1, c)
		if err != nil {
			return err
		}
		w[what] = v
	}
	// gozoo's epsilon is PyTorch's 1e-5; another one moves into the
	// variance: (x - mean) / sqrt((var + eps - 1e-5) + 1e-5).
	if eps := floatOr(m, "epsilon", 1e-5); eps != float32(1e-5) {
		v := append([]float32(nil), w["running_var"]...)
		for i := range v {
			nv := float64(v[i]) + float64(eps) - 1e-5
			if !(nv+1e-5 > 0) || math.IsInf(nv, 0) {
				return unsupportedf("%s: epsilon %v and variance %v", n, eps, w["running_var"][i])
			}
			v[i] = float32(nv)
		}
		w["running_var"] = v
	}
	return x.add(n, "bn", typ, nn.BatchNormConfig{Size: c}, w)
}

func (x *importer) softmax(n *node) error {
	m, err := attrMap(n, "axis:i")
	if err != nil {
		return err
	}
	if err := x.only(n, 1); err != nil {
		return err
	}
	rank := int64(len(x.shape) + 1)
	def := int64(1)
	if x.opset >= 13 {
		def = -1
	}
	axis := intOr(m, "axis", def)
	if axis < 0 {
		axis += rank
	}
	if axis != rank-1 {
		return unsupportedf("%s: softmax over axis %d of a rank-%d input; gozoo's softmax runs over the last axis", n, intOr(m, "axis", def), rank)
	}
	return x.add(n, "softmax", "Softmax", nil, nil)
}

func (x *importer) flatten(n *node) error {
	m, err := attrMap(n, "axis:i")
	if err != nil {
		return err
	}
	if err := x.only(n, 1); err != nil {
		return err
	}
	axis := intOr(m, "axis", 1)
	if axis < 0 {
		axis += int64(len(x.shape) + 1)
	}
	if axis != 1 {
		return unsupportedf("%s: flatten from axis %d; gozoo keeps the batch axis and flattens the rest (axis 1)", n, intOr(m, "axis", 1))
	}
	if x.cur.pooled != nil {
		return nil // gozoo's global pooling gives [C] already
	}
	return x.add(n, "flatten", "Flatten", nil, nil)
}

// reshape imports a Reshape that flattens [batch, ...] to [batch, features].
func (x *importer) reshape(n *node) error {
	m, err := attrMap(n, "allowzero:i")
	if err != nil {
		return err
	}
	if len(n.inputs) != 2 {
		return corruptf("%s has %d inputs, want 2", n, len(n.inputs))
	}
	t, ok := x.consts[n.inputs[1]]
	if !ok {
		return unsupportedf("%s: the target shape %q is computed, not a constant; export with nn.Flatten", n, n.inputs[1])
	}
	target, err := t.int64s(fmt.Sprintf("%s shape", n))
	if err != nil {
		return err
	}
	size := int64(1)
	for _, d := range x.shape {
		size *= int64(d)
	}
	zero := intOr(m, "allowzero", 0) != 0
	ok = len(target) == 2
	if ok {
		b, f := target[0], target[1]
		batchOK := (b == 0 && !zero) || (b == -1 && f == size) || (x.batch > 0 && b == x.batch)
		ok = batchOK && (f == size || (f == -1 && b != -1))
	}
	if !ok {
		shown := x.shape
		if x.cur.pooled != nil {
			shown = append(append([]int(nil), shown...), 1, 1)
		}
		return unsupportedf("%s: shape %v; gozoo imports a Reshape only when it flattens %s to [batch, %d]", n, target, batchShape(shown), size)
	}
	if x.cur.pooled != nil {
		return nil // gozoo's global pooling gives [C] already
	}
	return x.add(n, "flatten", "Flatten", nil, nil)
}

func (x *importer) dropout(n *node) error {
	m, err := attrMap(n, "ratio:f", "is_test:i", "seed:i")
	if err != nil {
		return err
	}
	if err := x.only(n, 2); err != nil {
		return err
	}
	rate, err := x.scalarOr(n, 1, floatOr(m, "ratio", 0.5))
	if err != nil {
		return err
	}
	// The rate as float32 wrote it (0.1, not 0.10000000149).
	r, _ := strconv.ParseFloat(strconv.FormatFloat(float64(rate), 'g', -1, 32), 64)
	return x.add(n, "dropout", "Dropout", nn.DropoutConfig{Rate: r}, nil)
}
