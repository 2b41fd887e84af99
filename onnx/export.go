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

// sequential is what Export needs of a model: every built-in model embeds
// an *nn.Sequential, and any Sequential of nn's layers qualifies.
type sequential interface {
	zoo.Model
	Architecture() (nn.Architecture, error)
	LayerOutputShapes() [][]int
}

// Export writes m as an ONNX model (IR version 7, opset 13) to w: Dense
// becomes Gemm, Conv2D Conv, the pools MaxPool and AveragePool, BatchNorm
// BatchNormalization, the activations Relu, Tanh, Sigmoid and Softmax, and
// Flatten Flatten; Dropout is left out (inference). The input is named
// "input" and the output "output", each with a symbolic batch dimension
// "batch". card (nil for none) goes into metadata_props. A layer with no
// ONNX form is an error that names it.
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
	seq, ok := m.(sequential)
	if !ok {
		return nil, fmt.Errorf("onnx: a %s model (%T) is not a sequence of gozoo layers, so it has no ONNX form", m.Kind(), m)
	}
	arch, err := seq.Architecture()
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	shapes := seq.LayerOutputShapes()
	if len(shapes) != len(arch.Layers) {
		return nil, fmt.Errorf("onnx: model has %d layers but %d output shapes", len(arch.Layers), len(shapes))
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
	x := &exporter{params: params, value: InputName, shape: arch.InputShape}
	for i, spec := range arch.Layers {
		last := true
		for _, later := range arch.Layers[i+1:] {
			if later.Type != "Dropout" {
				last = false
			}
		}
		if err := x.layer(spec, shapes[i], last); err != nil {
			return nil, fmt.Errorf("onnx: layer %d (%s): %w", i+1, spec.Name, err)
		}
	}
	if x.value == InputName { // no layer wrote a node: an empty or dropout-only model
		x.node("Identity", "identity", []string{InputName}, OutputName)
	}

	var g encoder
	g.str(2, m.Kind()) // name
	for _, n := range x.nodes {
		g.bytes(1, n)
	}
	for _, t := range x.inits {
		g.bytes(5, t)
	}
	g.bytes(11, valueInfoBytes(InputName, arch.InputShape))
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
	value  string // the value the next node reads
	shape  []int  // its per-sample shape
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

// layer appends the nodes of one layer whose per-sample output shape is
// shape; the last one writes the graph's output.
func (x *exporter) layer(spec nn.LayerSpec, shape []int, last bool) error {
	// Values are named "<layer>:out"; initializers "<layer>/<what>", as
	// the parameters are. Layer names are unique, so no two values clash.
	out := spec.Name + ":out"
	if last {
		out = OutputName
	}
	in := x.value
	p := func(what string) string { return spec.Name + "/" + what }
	switch spec.Type {
	case "Dropout":
		return nil // inference: the identity
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
			x.values = append(x.values, valueInfoBytes(p("padded"), []int{x.shape[0], x.shape[1] + 2*c.Padding[0], x.shape[2] + 2*c.Padding[1]}))
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
	default:
		return fmt.Errorf("layer type %q has no ONNX form (exportable: %s)", spec.Type, strings.Join(exportable(), ", "))
	}
	if !last {
		x.values = append(x.values, valueInfoBytes(out, shape))
	}
	x.value, x.shape = out, shape
	return nil
}

func exportable() []string {
	return []string{"Dense", "Conv2D", "MaxPool2D", "AvgPool2D", "BatchNorm1D", "BatchNorm2D", "Flatten", "Dropout", "ReLU", "Tanh", "Sigmoid", "Softmax"}
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
