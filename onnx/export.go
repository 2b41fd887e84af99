package onnx

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/nn"
	"github.com/gozoo/gozoo/zoo"
)

// The versions Export writes: IR version 7 (ONNX 1.7) and the default
// domain's opset 13, which every current runtime reads.
const (
	IRVersion = 7
	Opset     = 13
)

// Names of the graph's input and output, and of its symbolic batch
// dimension.
const (
	InputName  = "input"
	OutputName = "output"
	BatchDim   = "batch"
)

// Metadata keys Export writes into the model's metadata_props. CardKey holds
// the whole model card as JSON (what Import reads back); the others repeat
// parts of it for tools that know nothing of gozoo.
const (
	CardKey       = "gozoo.card"
	KindKey       = "gozoo.kind"
	ClassNamesKey = "class_names" // JSON array of strings
	MeanKey       = "mean"        // JSON array: per-channel mean of pixel/255
	StdKey        = "std"         // JSON array: per-channel std of pixel/255
	DatasetKey    = "dataset"
)

// sequential and graphModel are what Export needs of a model: every
// built-in model embeds an *nn.Sequential, and any Sequential or
// GraphModel of nn's layers qualifies.
type sequential interface {
	zoo.Model
	Architecture() (nn.Architecture, error)
	LayerOutputShapes() [][]int
}

type graphModel interface {
	zoo.Model
	Architecture() (nn.GraphArchitecture, error)
	LayerOutputShapes() [][]int
}

// exportLayer is one layer as Export walks it: its spec, what it reads
// (-1 the graph input, j >= 0 layer j, which comes earlier) and its
// per-sample output shape.
type exportLayer struct {
	spec  nn.LayerSpec
	reads []int
	shape []int
}

// exportLayers lists m's layers in an order where each comes after what
// it reads: a Sequential's layers each read the one before.
func exportLayers(m zoo.Model) (input []int, graphName string, layers []exportLayer, err error) {
	var shapes [][]int
	switch v := m.(type) {
	case sequential:
		arch, err := v.Architecture()
		if err != nil {
			return nil, "", nil, fmt.Errorf("onnx: %w", err)
		}
		for i, spec := range arch.Layers {
			layers = append(layers, exportLayer{spec: spec, reads: []int{i - 1}})
		}
		input, graphName, shapes = arch.InputShape, m.Kind(), v.LayerOutputShapes()
	case graphModel:
		arch, err := v.Architecture()
		if err != nil {
			return nil, "", nil, fmt.Errorf("onnx: %w", err)
		}
		if len(arch.Inputs) != 1 || len(arch.Outputs) != 1 {
			return nil, "", nil, fmt.Errorf("onnx: graph model has %d inputs and %d outputs; ONNX export takes one of each", len(arch.Inputs), len(arch.Outputs))
		}
		index := map[string]int{arch.Inputs[0].Name: -1}
		for i, l := range arch.Layers {
			reads := make([]int, len(l.Inputs))
			for j, name := range l.Inputs {
				k, ok := index[name]
				if !ok { // Architecture lists layers after what they read
					return nil, "", nil, fmt.Errorf("onnx: layer %d (%s) reads %q, which no earlier input or layer is", i+1, l.Name, name)
				}
				reads[j] = k
			}
			index[l.Name] = i
			layers = append(layers, exportLayer{spec: l.LayerSpec, reads: reads})
		}
		if out, ok := index[arch.Outputs[0]]; !ok || out != len(layers)-1 {
			return nil, "", nil, fmt.Errorf("onnx: the graph's output %q is not its last layer", arch.Outputs[0])
		}
		input, graphName, shapes = arch.Inputs[0].Shape, arch.Name, v.LayerOutputShapes()
		if graphName == "" {
			graphName = m.Kind()
		}
	default:
		return nil, "", nil, fmt.Errorf("onnx: a %s model (%T) is not a sequence of gozoo layers nor a graph of them, so it has no ONNX form", m.Kind(), m)
	}
	if len(shapes) != len(layers) {
		return nil, "", nil, fmt.Errorf("onnx: model has %d layers but %d output shapes", len(layers), len(shapes))
	}
	for i := range layers {
		layers[i].shape = shapes[i]
	}
	return input, graphName, layers, nil
}

// Export writes m, a Sequential or a GraphModel of nn's layers (every
// built-in model is one), as an ONNX model (IR version 7, opset 13) to w:
// Dense becomes Gemm, Conv2D Conv, the pools MaxPool and AveragePool,
// GlobalAvgPool2D GlobalAveragePool followed by Flatten, BatchNorm
// BatchNormalization, the activations Relu, Tanh, Sigmoid and Softmax,
// Flatten Flatten, Add Add (Sum for three or more inputs) and Concatenate
// Concat; each node reads what its layer reads, and Dropout is left out
// (inference), what reads it reading its input. The input is named "input"
// and the output "output", each with a symbolic batch dimension "batch".
// card (nil for none) goes into metadata_props. A layer with no ONNX form
// is an error that names it.
func Export(m zoo.Model, card *modelcard.Card, w io.Writer) error {
	data, err := exportBytes(m, card)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("onnx: write: %w", err)
	}
	return nil
}

// ExportFile writes m as Export does to path, atomically: into a temporary
// file in path's folder, synced and renamed over path (keeping an existing
// file's permissions, else 0644), so that a failed export leaves any
// earlier file at path intact.
func ExportFile(path string, m zoo.Model, card *modelcard.Card) (err error) {
	data, err := exportBytes(m, card)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	mode := os.FileMode(0o644)
	if info, statErr := os.Stat(path); statErr == nil {
		mode = info.Mode().Perm()
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("onnx: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close() // already failed; the first error is the one to report
			_ = os.Remove(tmp.Name())
			err = fmt.Errorf("onnx: %w", err)
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Chmod(mode); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err = d.Sync(); err != nil {
		_ = d.Close()
		return err
	}
	return d.Close()
}

func exportBytes(m zoo.Model, card *modelcard.Card) ([]byte, error) {
	if m == nil {
		return nil, fmt.Errorf("onnx: no model to export")
	}
	input, graphName, layers, err := exportLayers(m)
	if err != nil {
		return nil, err
	}
	out := m.OutputShape()
	if card != nil {
		if err := card.Validate(); err != nil {
			return nil, fmt.Errorf("onnx: %w", err)
		}
		if len(out) != 1 {
			return nil, fmt.Errorf("onnx: a model card needs vector outputs, the model's are %v", out)
		}
		if err := card.CheckModel(m.InputShape(), out[0]); err != nil {
			return nil, fmt.Errorf("onnx: %w", err)
		}
	}
	params := make(map[string]*nn.Param)
	for _, p := range m.Params() {
		params[p.Name] = p
	}
	// Dropout is the identity in inference: it writes no node, and what
	// reads it reads its input. The layer the output's dropouts read (the
	// last layer, in a model that does not end in Dropout) writes the
	// graph's output.
	last := len(layers) - 1
	for last >= 0 && layers[last].spec.Type == "Dropout" {
		last = layers[last].reads[0]
	}
	values := make([]string, len(layers)) // the ONNX value each layer's output is
	shapes := make([][]int, len(layers))
	value := func(j int) (string, []int) {
		if j < 0 {
			return InputName, input
		}
		return values[j], shapes[j]
	}
	x := &exporter{params: params}
	for i, l := range layers {
		ins := make([]string, len(l.reads))
		inShapes := make([][]int, len(l.reads))
		for k, j := range l.reads {
			ins[k], inShapes[k] = value(j)
		}
		if l.spec.Type == "Dropout" {
			values[i], shapes[i] = ins[0], inShapes[0]
			continue
		}
		// Values are named "<layer>:out"; initializers "<layer>/<what>",
		// as the parameters are. Layer names are unique, so no two
		// values clash.
		values[i], shapes[i] = l.spec.Name+":out", l.shape
		if i == last {
			values[i] = OutputName
		}
		if err := x.layer(l.spec, ins, inShapes, l.shape, values[i]); err != nil {
			return nil, fmt.Errorf("onnx: layer %d (%s): %w", i+1, l.spec.Name, err)
		}
	}
	if last < 0 { // no layer wrote a node: an empty or dropout-only model
		x.node("Identity", "identity", []string{InputName}, OutputName)
	}

	var g encoder
	g.str(2, graphName)
	for _, n := range x.nodes {
		g.bytes(1, n)
	}
	for _, t := range x.inits {
		g.bytes(5, t)
	}
	g.bytes(11, valueInfoBytes(InputName, input))
	g.bytes(12, valueInfoBytes(OutputName, out))
	for _, v := range x.values {
		g.bytes(13, v)
	}

	var e encoder
	e.int(1, IRVersion)
	e.str(2, "gozoo")
	e.str(3, zoo.Version)
	e.str(6, docString(m, card))
	e.bytes(7, g.b)
	e.message(8, func(o *encoder) { o.str(1, ""); o.int(2, Opset) })
	for _, kv := range metadata(m, card) {
		e.message(14, func(p *encoder) { p.str(1, kv.key); p.str(2, kv.value) })
	}
	return e.b, nil
}

func docString(m zoo.Model, card *modelcard.Card) string {
	s := fmt.Sprintf("gozoo %s model, exported by gozoo %s.", m.Kind(), zoo.Version)
	if card != nil && len(card.Mean) > 0 {
		s += fmt.Sprintf(" Input: pixel/255, then (v - mean) / std per channel with mean %v and std %v.", card.Mean, card.Std)
	}
	return s
}

func metadata(m zoo.Model, card *modelcard.Card) []stringPair {
	kv := []stringPair{{KindKey, m.Kind()}}
	if card == nil {
		return kv
	}
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) } // plain values: cannot fail
	kv = append(kv, stringPair{CardKey, card.Metadata()[modelcard.MetadataKey]})
	if card.Dataset != "" {
		kv = append(kv, stringPair{DatasetKey, card.Dataset})
	}
	if len(card.ClassNames) > 0 {
		kv = append(kv, stringPair{ClassNamesKey, js(card.ClassNames)})
	}
	if len(card.Mean) > 0 {
		kv = append(kv, stringPair{MeanKey, js(card.Mean)}, stringPair{StdKey, js(card.Std)})
	}
	return kv
}

// exporter accumulates the encoded nodes, initializers and intermediate
// value infos of a graph.
type exporter struct {
	params map[string]*nn.Param
	nodes  [][]byte
	inits  [][]byte
	values [][]byte
}

type attr struct {
	name   string
	typ    int64
	f      float32
	i      int64
	s      string
	t      []byte // an encoded TensorProto
	ints   []int64
	floats []float32
}

func intAttr(name string, v int64) attr     { return attr{name: name, typ: attrInt, i: v} }
func floatAttr(name string, v float32) attr { return attr{name: name, typ: attrFloat, f: v} }
func intsAttr(name string, v ...int64) attr { return attr{name: name, typ: attrInts, ints: v} }
func pair(v [2]int) []int64                 { return []int64{int64(v[0]), int64(v[1])} }
func pads(p [2]int) []int64                 { return []int64{int64(p[0]), int64(p[1]), int64(p[0]), int64(p[1])} }
func windowAttrs(k, s, p [2]int) []attr {
	return []attr{intsAttr("kernel_shape", pair(k)...), intsAttr("strides", pair(s)...), intsAttr("pads", pads(p)...)}
}

// node appends a node reading inputs and writing output.
func (x *exporter) node(op, name string, inputs []string, output string, attrs ...attr) {
	var e encoder
	for _, in := range inputs {
		e.str(1, in)
	}
	e.str(2, output)
	e.str(3, name)
	e.str(4, op)
	for _, a := range attrs {
		e.message(5, func(b *encoder) {
			b.str(1, a.name)
			b.int(20, a.typ)
			switch a.typ {
			case attrInt:
				b.int(3, a.i)
			case attrFloat:
				b.float(2, a.f)
			case attrString:
				b.str(4, a.s)
			case attrTensor:
				b.bytes(5, a.t)
			case attrInts:
				for _, v := range a.ints {
					b.int(8, v)
				}
			case attrFloats:
				for _, v := range a.floats {
					b.float(7, v)
				}
			}
		})
	}
	x.nodes = append(x.nodes, e.b)
}

// init adds a float32 initializer of the given shape.
func (x *exporter) init(name string, shape []int, data []float32) {
	x.inits = append(x.inits, floatTensorBytes(name, shape, data))
}

// floatTensorBytes encodes a float32 TensorProto, its values as raw_data.
func floatTensorBytes(name string, shape []int, data []float32) []byte {
	var e encoder
	for _, d := range shape {
		e.int(1, int64(d))
	}
	e.int(2, typeFloat)
	e.str(8, name)
	raw := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	e.bytes(9, raw)
	return e.b
}

func (x *exporter) param(name string) (*nn.Param, error) {
	p, ok := x.params[name]
	if !ok {
		return nil, fmt.Errorf("the model has no parameter %q", name)
	}
	return p, nil
}

// layer appends the nodes of one layer that reads the values ins, of
// per-sample shapes inShapes, and writes out, of per-sample shape shape.
func (x *exporter) layer(spec nn.LayerSpec, ins []string, inShapes [][]int, shape []int, out string) error {
	in := ins[0]
	p := func(what string) string { return spec.Name + "/" + what }
	switch spec.Type {
	case "Dense":
		var c nn.DenseConfig
		if err := json.Unmarshal(spec.Config, &c); err != nil {
			return err
		}
		w, err := x.param(p("weight"))
		if err != nil {
			return err
		}
		b, err := x.param(p("bias"))
		if err != nil {
			return err
		}
		// ONNX runtimes know best PyTorch's [out, in] weight with transB=1.
		t := make([]float32, c.Inputs*c.Outputs)
		wd := w.Data()
		for i := 0; i < c.Inputs; i++ {
			for j := 0; j < c.Outputs; j++ {
				t[j*c.Inputs+i] = wd[i*c.Outputs+j]
			}
		}
		x.init(p("weight"), []int{c.Outputs, c.Inputs}, t)
		x.init(p("bias"), b.Shape(), b.Data())
		x.node("Gemm", spec.Name, []string{in, p("weight"), p("bias")}, out,
			floatAttr("alpha", 1), floatAttr("beta", 1), intAttr("transB", 1))
	case "Conv2D":
		var c nn.Conv2DConfig
		if err := json.Unmarshal(spec.Config, &c); err != nil {
			return err
		}
		w, err := x.param(p("weight"))
		if err != nil {
			return err
		}
		x.init(p("weight"), w.Shape(), w.Data())
		inputs := []string{in, p("weight")}
		if c.Bias {
			b, err := x.param(p("bias"))
			if err != nil {
				return err
			}
			x.init(p("bias"), b.Shape(), b.Data())
			inputs = append(inputs, p("bias"))
		}
		attrs := append(windowAttrs(c.Kernel, c.Stride, c.Padding), intsAttr("dilations", 1, 1), intAttr("group", 1))
		x.node("Conv", spec.Name, inputs, out, attrs...)
	case "MaxPool2D", "AvgPool2D":
		var c nn.Pool2DConfig
		if err := json.Unmarshal(spec.Config, &c); err != nil {
			return err
		}
		if spec.Type == "MaxPool2D" {
			x.node("MaxPool", spec.Name, []string{in}, out, windowAttrs(c.Kernel, c.Stride, c.Padding)...)
			break
		}
		// gozoo divides every window by the kernel area, padding included
		// (count_include_pad=1). OpenCV 4.6 ignores that attribute, so the
		// padding is a Pad node in front, as PyTorch writes it.
		if c.Padding != [2]int{} {
			ph, pw := int64(c.Padding[0]), int64(c.Padding[1])
			x.inits = append(x.inits, int64TensorBytes(p("pads"), []int64{0, 0, ph, pw, 0, 0, ph, pw}))
			x.node("Pad", spec.Name+"/pad", []string{in, p("pads")}, p("padded"), attr{name: "mode", typ: attrString, s: "constant"})
			s := inShapes[0]
			x.values = append(x.values, valueInfoBytes(p("padded"), []int{s[0], s[1] + 2*c.Padding[0], s[2] + 2*c.Padding[1]}))
			in = p("padded")
		}
		x.node("AveragePool", spec.Name, []string{in}, out, windowAttrs(c.Kernel, c.Stride, [2]int{})...)
	case "BatchNorm1D", "BatchNorm2D":
		inputs := []string{in}
		for _, what := range []string{"gamma", "beta", "running_mean", "running_var"} {
			q, err := x.param(p(what))
			if err != nil {
				return err
			}
			x.init(p(what), q.Shape(), q.Data())
			inputs = append(inputs, p(what))
		}
		// ONNX's momentum weighs the running value, PyTorch's and gozoo's the batch's.
		x.node("BatchNormalization", spec.Name, inputs, out, floatAttr("epsilon", 1e-5), floatAttr("momentum", 0.9))
	case "Flatten":
		x.node("Flatten", spec.Name, []string{in}, out, intAttr("axis", 1))
	case "ReLU", "Tanh", "Sigmoid":
		x.node(map[string]string{"ReLU": "Relu", "Tanh": "Tanh", "Sigmoid": "Sigmoid"}[spec.Type], spec.Name, []string{in}, out)
	case "Softmax":
		// gozoo's softmax runs over the last axis, as opset 13's does for
		// axis = rank-1 (written positive: some runtimes misread -1).
		x.node("Softmax", spec.Name, []string{in}, out, intAttr("axis", int64(len(shape))))
	case "Add":
		// ONNX's Add takes two inputs, its Sum any number.
		op := "Add"
		if len(ins) > 2 {
			op = "Sum"
		}
		x.node(op, spec.Name, ins, out)
	case "Concatenate":
		var c nn.ConcatenateConfig
		if err := json.Unmarshal(spec.Config, &c); err != nil {
			return err
		}
		// gozoo's axis counts per-sample dimensions, ONNX's the batch too
		// (written positive: some runtimes misread negative axes).
		axis := c.Axis
		if axis < 0 {
			axis += len(shape)
		}
		x.node("Concat", spec.Name, ins, out, intAttr("axis", int64(axis+1)))
	case "GlobalAveragePooling2D":
		// ONNX's GlobalAveragePool keeps [N, C, 1, 1]; gozoo's gives
		// [N, C], as a Flatten after it does (PyTorch's AdaptiveAvgPool2d(1)
		// and flatten(1) export as these two nodes).
		pooled := spec.Name + ":pooled"
		x.node("GlobalAveragePool", spec.Name, []string{in}, pooled)
		x.values = append(x.values, valueInfoBytes(pooled, []int{shape[0], 1, 1}))
		x.node("Flatten", spec.Name+"/flatten", []string{pooled}, out, intAttr("axis", 1))
	default:
		return fmt.Errorf("layer type %q has no ONNX form (exportable: %s)", spec.Type, strings.Join(exportable(), ", "))
	}
	if out != OutputName {
		x.values = append(x.values, valueInfoBytes(out, shape))
	}
	return nil
}

func exportable() []string {
	return []string{"Dense", "Conv2D", "MaxPool2D", "AvgPool2D", "GlobalAveragePooling2D", "BatchNorm1D", "BatchNorm2D",
		"Flatten", "Dropout", "ReLU", "Tanh", "Sigmoid", "Softmax", "Add", "Concatenate"}
}

// int64TensorBytes encodes an int64 vector TensorProto.
func int64TensorBytes(name string, data []int64) []byte {
	var e encoder
	e.int(1, int64(len(data)))
	e.int(2, typeInt64)
	e.str(8, name)
	raw := make([]byte, 8*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint64(raw[8*i:], uint64(v))
	}
	e.bytes(9, raw)
	return e.b
}

// valueInfoBytes encodes a float tensor value of per-sample shape s behind
// the symbolic batch dimension.
func valueInfoBytes(name string, s []int) []byte {
	var e encoder
	e.str(1, name)
	e.message(2, func(t *encoder) { // TypeProto
		t.message(1, func(tt *encoder) { // Tensor
			tt.int(1, typeFloat)
			tt.message(2, func(sh *encoder) { // TensorShapeProto
				sh.message(1, func(d *encoder) { d.str(2, BatchDim) })
				for _, v := range s {
					sh.message(1, func(d *encoder) { d.int(1, int64(v)) })
				}
			})
		})
	})
	return e.b
}
