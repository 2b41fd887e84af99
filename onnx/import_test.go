package onnx

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/nn"
)

// testGraph builds ONNX files by hand, for the patterns and the hostile
// files below.
type testGraph struct {
	ir, opset int64
	inputs    [][]byte // value infos; default one "x" of shape [batch, 4]
	output    string   // default "y"
	x         exporter // nodes and initializers
	extra     func(g *encoder)
}

func newGraph() *testGraph { return &testGraph{ir: 7, opset: 13, output: "y"} }

// input declares a graph input; dims are ints or strings (symbolic).
func (g *testGraph) input(name string, dims ...any) *testGraph {
	var e encoder
	e.str(1, name)
	e.message(2, func(t *encoder) {
		t.message(1, func(tt *encoder) {
			tt.int(1, typeFloat)
			tt.message(2, func(sh *encoder) {
				for _, d := range dims {
					sh.message(1, func(de *encoder) {
						switch v := d.(type) {
						case int:
							de.int(1, int64(v))
						case string:
							de.str(2, v)
						}
					})
				}
			})
		})
	})
	g.inputs = append(g.inputs, e.b)
	return g
}

func (g *testGraph) node(op, name string, inputs []string, output string, attrs ...attr) *testGraph {
	g.x.node(op, name, inputs, output, attrs...)
	return g
}

func (g *testGraph) floats(name string, shape []int, v ...float32) *testGraph {
	if v == nil {
		n := 1
		for _, d := range shape {
			n *= d
		}
		v = make([]float32, n)
		for i := range v {
			v[i] = float32(i%7) / 7
		}
	}
	g.x.init(name, shape, v)
	return g
}

func (g *testGraph) raw(t []byte) *testGraph {
	g.x.inits = append(g.x.inits, t)
	return g
}

func (g *testGraph) bytes() []byte {
	if g.inputs == nil {
		g.input("x", "batch", 4)
	}
	var gr encoder
	for _, n := range g.x.nodes {
		gr.bytes(1, n)
	}
	gr.str(2, "test")
	for _, t := range g.x.inits {
		gr.bytes(5, t)
	}
	for _, in := range g.inputs {
		gr.bytes(11, in)
	}
	gr.message(12, func(o *encoder) { o.str(1, g.output) })
	if g.extra != nil {
		g.extra(&gr)
	}
	var m encoder
	m.int(1, g.ir)
	m.bytes(7, gr.b)
	m.message(8, func(o *encoder) { o.str(1, ""); o.int(2, g.opset) })
	return m.b
}

// tensorAttr wraps an encoded TensorProto as a Constant's value.
func tensorAttr(t []byte) attr { return attr{name: "value", typ: attrTensor, t: t} }

// Weights as Constant nodes, Reshape to [batch, features] (symbolic and
// fixed batch), MatMul+Add, BatchNormalization with another epsilon,
// Dropout with its ratio as an input, Identity and an opset-11 Softmax.
func TestImportPatterns(t *testing.T) {
	w := []float32{1, 0, -1, 0.5, 2, 0.25, 0, 1, -0.5, 1.5, -2, 0}
	b := []float32{0.1, -0.2, 0.3}
	mean, vars := []float32{0.5, -1, 0}, []float32{2, 0.5, 1}
	gamma, beta := []float32{1, 2, 0.5}, []float32{0, 0.1, -0.1}
	const eps = 1e-3
	for _, tc := range []struct {
		name  string
		batch any
		shape []int64
		// alias reads the weights and bias through Identity nodes, as
		// torch.onnx.export writes initializers equal to others.
		alias bool
	}{
		{"symbolic batch", "N", []int64{0, -1}, false},
		{"fixed batch", 1, []int64{1, 4}, false},
		{"inferred batch", "N", []int64{-1, 4}, false},
		{"constants through Identity", "N", []int64{0, -1}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGraph().input("x", tc.batch, 1, 2, 2)
			g.opset = 11
			g.node("Constant", "shape", nil, "shape", tensorAttr(int64TensorBytes("s", tc.shape)))
			g.node("Reshape", "flat", []string{"x", "shape"}, "f")
			g.node("Constant", "w", nil, "w", tensorAttr(floatTensorBytes("w", []int{4, 3}, w)))
			g.node("Constant", "b", nil, "b", attr{name: "value_floats", typ: attrFloats, floats: b})
			wName, bName := "w", "b"
			if tc.alias {
				g.node("Identity", "wid", []string{"w"}, "w2")
				g.node("Identity", "bid", []string{"b"}, "b2")
				wName, bName = "w2", "b2"
			}
			g.node("MatMul", "mm", []string{"f", wName}, "mm")
			g.node("Add", "add", []string{bName, "mm"}, "h")
			g.floats("gamma", []int{3}, gamma...).floats("beta", []int{3}, beta...).floats("mean", []int{3}, mean...).floats("var", []int{3}, vars...)
			g.node("BatchNormalization", "bn", []string{"h", "gamma", "beta", "mean", "var"}, "n", floatAttr("epsilon", eps))
			g.floats("ratio", nil, 0.25)
			g.node("Dropout", "drop", []string{"n", "ratio"}, "d")
			g.node("Identity", "id", []string{"d"}, "i")
			g.node("Softmax", "sm", []string{"i"}, "y", intAttr("axis", 1))
			m, card, err := Import(bytes.NewReader(g.bytes()), ImportOptions{ClassNames: []string{"a", "b", "c"}})
			if err != nil {
				t.Fatal(err)
			}
			var types []string
			for _, l := range m.Layers() {
				types = append(types, nn.TypeOf(l))
			}
			if got := strings.Join(types, " "); got != "Flatten Dense BatchNorm1D Dropout Softmax" {
				t.Errorf("layers %s", got)
			}
			if r := m.Layers()[3].(*nn.Dropout).Rate(); r != 0.25 {
				t.Errorf("dropout rate %v", r)
			}
			if card.Dataset != "" || strings.Join(card.ClassNames, ",") != "a,b,c" || len(card.Shape) != 3 {
				t.Errorf("card %+v", card)
			}
			x := []float32{0.5, -1, 2, 0.25}
			outputs := evaluate(t, m, x)
			// The same in float64 from the ONNX operators' definitions.
			var want [3]float64
			sum := 0.0
			for j := range want {
				h := float64(b[j])
				for i := range x {
					h += float64(x[i]) * float64(w[i*3+j])
				}
				h = (h-float64(mean[j]))/math.Sqrt(float64(vars[j])+eps)*float64(gamma[j]) + float64(beta[j])
				want[j] = math.Exp(h)
				sum += want[j]
			}
			for j, got := range outputs {
				if d := math.Abs(float64(got) - want[j]/sum); d > 1e-6 {
					t.Errorf("output %d: %v, want %v", j, got, want[j]/sum)
				}
			}
		})
	}
}

// evaluate runs m in evaluation mode on one sample.
func evaluate(t *testing.T, m nn.Model, x []float32) []float32 {
	t.Helper()
	p, err := nn.Compile(m, nn.Evaluation, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	copy(p.Input(), x)
	if err := p.Run(nil); err != nil {
		t.Fatal(err)
	}
	return append([]float32(nil), p.Outputs()...)
}

// hugeNodes is a graph of n Relu nodes, 14 bytes each.
func hugeNodes(n int) []byte {
	var node encoder
	node.str(1, "x")
	node.str(2, "y")
	node.str(4, "Relu")
	return repeatedNodes(n, node.b)
}

// repeatedNodes is a graph of n copies of one encoded node.
func repeatedNodes(n int, node []byte) []byte {
	var gr encoder
	for i := 0; i < n; i++ {
		gr.bytes(1, node)
	}
	var m encoder
	m.int(1, 7)
	m.bytes(7, gr.b)
	return m.b
}

func TestImportRejects(t *testing.T) {
	valid := func() *testGraph {
		return newGraph().floats("w", []int{3, 4}).floats("b", []int{3}).
			node("Gemm", "dense", []string{"x", "w", "b"}, "y", intAttr("transB", 1))
	}
	if _, _, err := Import(bytes.NewReader(valid().bytes()), ImportOptions{}); err != nil {
		t.Fatalf("the valid graph the cases start from: %v", err)
	}
	image := func() *testGraph { return newGraph().input("x", "N", 1, 5, 5) }
	tensor := func(dims []int64, dataType int64, raw []byte, more func(e *encoder)) []byte {
		var e encoder
		for _, d := range dims {
			e.int(1, d)
		}
		e.int(2, dataType)
		e.str(8, "w")
		if raw != nil {
			e.bytes(9, raw)
		}
		if more != nil {
			more(&e)
		}
		return e.b
	}
	gemmOn := func(w []byte) []byte {
		return newGraph().raw(w).node("Gemm", "dense", []string{"x", "w"}, "y", intAttr("transB", 1)).bytes()
	}
	rng := rand.New(rand.NewPCG(3, 3))
	garbage := make([]byte, 4096)
	for i := range garbage {
		garbage[i] = byte(rng.Uint32())
	}
	full := valid().bytes()
	for _, tc := range []struct {
		name string
		file []byte
		lim  Limits
		kind error // nil: any of the three
		want string
	}{
		{"empty file", nil, Limits{}, ErrCorrupt, "no graph"},
		{"garbage bytes", []byte("this is not an ONNX file, just some text\n"), Limits{}, ErrCorrupt, ""},
		{"random bytes", garbage, Limits{}, nil, ""},
		{"truncated", full[:len(full)/2], Limits{}, ErrCorrupt, ""},
		{"deprecated group wire type", protowire.AppendTag(nil, 7, protowire.StartGroupType), Limits{}, ErrCorrupt, "wire type"},
		{"larger than MaxBytes", full, Limits{MaxBytes: 100}, ErrLimit, "larger than 100 bytes"},
		{"10^6 nodes", hugeNodes(1000000), Limits{}, ErrLimit, "more than 4096 nodes"},
		{"10^6 empty nodes", repeatedNodes(1000000, nil), Limits{}, ErrLimit, "more than 4096 nodes"},
		{"10^6 residual Add nodes", func() []byte {
			var n encoder
			n.str(1, "x")
			n.str(1, "x")
			n.str(2, "y")
			n.str(4, "Add")
			return repeatedNodes(1000000, n.b)
		}(), Limits{}, ErrLimit, "more than 4096 nodes"},
		{"1025 layers in 1025 nodes", func() []byte {
			g := newGraph()
			for i := 0; i <= nn.MaxLayers; i++ {
				in, out := fmt.Sprintf("v%d", i), fmt.Sprintf("v%d", i+1)
				if i == 0 {
					in = "x"
				}
				if i == nn.MaxLayers {
					out = "y"
				}
				g.node("Relu", "", []string{in}, out)
			}
			return g.bytes()
		}(), Limits{}, ErrLimit, "the graph has 1025 nodes that each become a layer, more than 1024 (nn.MaxLayers)"},
		{"dims claiming 2^40 elements", gemmOn(tensor([]int64{1 << 20, 1 << 20}, typeFloat, make([]byte, 16), nil)), Limits{}, ErrLimit, "more than 268435456 elements"},
		{"dims overflowing int64", gemmOn(tensor([]int64{1 << 62, 1 << 62}, typeFloat, make([]byte, 16), nil)), Limits{}, ErrLimit, "elements"},
		{"negative dimension", gemmOn(tensor([]int64{-3, 4}, typeFloat, make([]byte, 48), nil)), Limits{}, ErrCorrupt, "negative dimension"},
		{"raw data shorter than its shape", gemmOn(tensor([]int64{3, 4}, typeFloat, make([]byte, 44), nil)), Limits{}, ErrCorrupt, "holds 44 bytes"},
		{"float_data shorter than its shape", gemmOn(tensor([]int64{3, 4}, typeFloat, nil, func(e *encoder) { e.bytes(4, make([]byte, 40)) })), Limits{}, ErrCorrupt, "holds 40 bytes"},
		{"tensor of rank 9", gemmOn(tensor([]int64{1, 1, 1, 1, 1, 1, 1, 1, 1}, typeFloat, make([]byte, 4), nil)), Limits{}, ErrLimit, "more than 8 values"},
		{"int64 weights", gemmOn(tensor([]int64{3, 4}, typeInt64, make([]byte, 96), nil)), Limits{}, ErrUnsupported, "INT64"},
		{"external data", gemmOn(tensor([]int64{3, 4}, typeFloat, nil, func(e *encoder) { e.int(14, 1) })), Limits{}, ErrUnsupported, "external file"},
		{"cycle", newGraph().node("Relu", "r0", []string{"x"}, "a").node("Add", "loop", []string{"a", "c"}, "b").
			node("Relu", "r2", []string{"b"}, "c").node("Relu", "r3", []string{"b"}, "y").bytes(), Limits{}, ErrCorrupt, `cycle through node 1 "loop" (Add)`},
		{"node reading a value a later node produces", newGraph().node("Relu", "late", []string{"a"}, "y").node("Tanh", "early", []string{"x"}, "a").bytes(),
			Limits{}, ErrCorrupt, `node 0 "late" (Relu) reads "a", which node 1 "early" (Tanh) after it produces; ONNX lists nodes in topological order`},
		{"residual Add reading nothing", newGraph().node("Relu", "r", []string{"x"}, "a").node("Add", "add", []string{"a", "ghost"}, "y").bytes(),
			Limits{}, ErrCorrupt, `node 1 "add" (Add) reads "ghost", which nothing produces`},
		{"Add of mismatched shapes", image().floats("w", []int{2, 1, 3, 3}).node("Conv", "c", []string{"x", "w"}, "a", intsAttr("pads", 1, 1, 1, 1)).
			node("Add", "add", []string{"a", "x"}, "s").node("Flatten", "f", []string{"s"}, "y").bytes(),
			Limits{}, ErrUnsupported, `node 1 "add" (Add) adds "a" of shape [batch, 2, 5, 5] and "x" of shape [batch, 1, 5, 5]; gozoo adds values of one shape, without broadcasting`},
		{"Concat of mismatched shapes", image().floats("w", []int{2, 1, 3, 3}).node("Conv", "c", []string{"x", "w"}, "a", intsAttr("strides", 2, 2)).
			node("Concat", "cat", []string{"x", "a"}, "s", intAttr("axis", 1)).node("Flatten", "f", []string{"s"}, "y").bytes(),
			Limits{}, ErrCorrupt, `node 1 "cat" (Concat): input "x" is [batch, 1, 5, 5] but input "a" is [batch, 2, 2, 2]; all but axis 1 must agree`},
		{"Concat over the batch", image().node("Concat", "cat", []string{"x", "x"}, "s", intAttr("axis", 0)).node("Flatten", "f", []string{"s"}, "y").bytes(),
			Limits{}, ErrUnsupported, "concatenates along the batch axis"},
		{"Concat without an axis", image().node("Concat", "cat", []string{"x", "x"}, "s").node("Flatten", "f", []string{"s"}, "y").bytes(),
			Limits{}, ErrCorrupt, `node 0 "cat" (Concat) has no axis`},
		{"Concat axis out of range", image().node("Concat", "cat", []string{"x", "x"}, "s", intAttr("axis", 4)).node("Flatten", "f", []string{"s"}, "y").bytes(),
			Limits{}, ErrCorrupt, "axis 4 is out of range for inputs of rank 4"},
		{"Add of a constant", newGraph().floats("w", []int{3, 4}).floats("c", []int{3}).node("Gemm", "dense", []string{"x", "w"}, "g", intAttr("transB", 1)).
			node("Add", "shift", []string{"g", "c"}, "y").bytes(), Limits{}, ErrUnsupported, `node 1 "shift" (Add) adds a constant; gozoo imports an Add of a constant only as the bias after a MatMul`},
		{"Concat of a constant", newGraph().floats("c", []int{1, 4}).node("Concat", "cat", []string{"x", "c"}, "y", intAttr("axis", 1)).bytes(),
			Limits{}, ErrUnsupported, `joins the constant "c"`},
		{"global pooling read by a Relu", image().node("GlobalAveragePool", "gap", []string{"x"}, "p").node("Relu", "r", []string{"p"}, "q").
			node("Flatten", "f", []string{"q"}, "y").bytes(), Limits{}, ErrUnsupported, `reads the [batch, channels, 1, 1] output of node 0 "gap" (GlobalAveragePool)`},
		{"global pooling as the output", image().node("GlobalAveragePool", "gap", []string{"x"}, "y").bytes(), Limits{}, ErrUnsupported, "gozoo models output vectors"},
		{"value produced twice", newGraph().node("Relu", "r0", []string{"x"}, "y").node("Tanh", "r1", []string{"x"}, "y").bytes(), Limits{}, ErrCorrupt, `"y" is produced by nodes 0 and 1`},
		{"Constant over an initializer", valid().node("Constant", "c", nil, "w", attr{name: "value_float", typ: attrFloat, f: 1}).bytes(), Limits{}, ErrCorrupt, `overwrites the initializer "w"`},
		{"input nothing produces", newGraph().node("Add", "add", []string{"x", "ghost"}, "y").bytes(), Limits{}, ErrCorrupt, `reads "ghost", which nothing produces`},
		{"unsupported operator", newGraph().node("LSTM", "lstm1", []string{"x"}, "y").bytes(), Limits{}, ErrUnsupported, `node 0 "lstm1" (LSTM): operator LSTM is not supported`},
		{"custom domain", func() []byte {
			g := newGraph().node("Relu", "r", []string{"x"}, "y")
			g.x.nodes[0] = append(g.x.nodes[0], protowire.AppendString(protowire.AppendTag(nil, 7, protowire.BytesType), "com.example")...)
			return g.bytes()
		}(), Limits{}, ErrUnsupported, `domain "com.example"`},
		{"branch that leads nowhere", newGraph().node("Relu", "a", []string{"x"}, "y").node("Tanh", "b", []string{"x"}, "z").bytes(), Limits{}, ErrUnsupported, `node 1 "b" (Tanh) does not lead to the graph output "y"`},
		{"two inputs", newGraph().input("x", "N", 4).input("x2", "N", 4).node("Relu", "r", []string{"x"}, "y").bytes(), Limits{}, ErrUnsupported, "2 inputs"},
		{"integer input", func() []byte {
			g := newGraph()
			var e encoder
			e.str(1, "x")
			e.message(2, func(t *encoder) { t.message(1, func(tt *encoder) { tt.int(1, typeInt64) }) })
			g.inputs = [][]byte{e.b}
			return g.node("Relu", "r", []string{"x"}, "y").bytes()
		}(), Limits{}, ErrUnsupported, "not a FLOAT tensor"},
		{"symbolic feature size", newGraph().input("x", "N", "F").node("Relu", "r", []string{"x"}, "y").bytes(), Limits{}, ErrUnsupported, "fixed sizes"},
		{"opset 5", func() []byte { g := valid(); g.opset = 5; return g.bytes() }(), Limits{}, ErrUnsupported, "opset 5"},
		{"IR version 2", func() []byte { g := valid(); g.ir = 2; return g.bytes() }(), Limits{}, ErrUnsupported, "IR version 2"},
		{"unknown attribute", newGraph().node("Relu", "r", []string{"x"}, "y", intAttr("alpha", 1)).bytes(), Limits{}, ErrUnsupported, `attribute "alpha" is not supported`},
		{"attribute of 2000 ints", newGraph().node("Relu", "r", []string{"x"}, "y", intsAttr("big", make([]int64, 2000)...)).bytes(), Limits{}, ErrLimit, "more than 1024 values"},
		{"Gemm with transA", newGraph().floats("w", []int{4, 3}).node("Gemm", "g", []string{"x", "w"}, "y", intAttr("transA", 1)).bytes(), Limits{}, ErrUnsupported, "transA"},
		{"Gemm weight for other features", newGraph().floats("w", []int{5, 3}).node("Gemm", "g", []string{"x", "w"}, "y").bytes(), Limits{}, ErrCorrupt, "the input has 4 features"},
		{"Gemm weight computed", newGraph().input("x", "N", 4).node("Gemm", "g", []string{"x", "x"}, "y").bytes(), Limits{}, ErrUnsupported, "not a constant"},
		{"Dense on images", newGraph().input("x", "N", 1, 2, 2).floats("w", []int{4, 3}).node("Gemm", "g", []string{"x", "w"}, "y").bytes(), Limits{}, ErrUnsupported, "flatten it first"},
		{"grouped convolution", newGraph().input("x", "N", 2, 5, 5).floats("w", []int{2, 1, 3, 3}).node("Conv", "c", []string{"x", "w"}, "y", intAttr("group", 2)).bytes(), Limits{}, ErrUnsupported, "group 2"},
		{"dilated convolution", newGraph().input("x", "N", 1, 5, 5).floats("w", []int{2, 1, 3, 3}).node("Conv", "c", []string{"x", "w"}, "y", intsAttr("dilations", 2, 2)).bytes(), Limits{}, ErrUnsupported, "dilations"},
		{"asymmetric padding", newGraph().input("x", "N", 1, 5, 5).floats("w", []int{2, 1, 3, 3}).node("Conv", "c", []string{"x", "w"}, "y", intsAttr("pads", 1, 1, 0, 0)).bytes(), Limits{}, ErrUnsupported, "not symmetric"},
		{"average excluding padding", newGraph().input("x", "N", 1, 5, 5).node("AveragePool", "p", []string{"x"}, "y", intsAttr("kernel_shape", 3, 3), intsAttr("pads", 1, 1, 1, 1)).bytes(), Limits{}, ErrUnsupported, "count_include_pad=0"},
		{"zero Pad before MaxPool", newGraph().input("x", "N", 1, 5, 5).node("Constant", "c", nil, "p", tensorAttr(int64TensorBytes("p", []int64{0, 0, 1, 1, 0, 0, 1, 1}))).
			node("Pad", "pad", []string{"x", "p"}, "xp").node("MaxPool", "m", []string{"xp"}, "y", intsAttr("kernel_shape", 3, 3)).bytes(), Limits{}, ErrUnsupported, "folds a zero Pad only into a Conv or AveragePool"},
		{"Pad with reflection", newGraph().input("x", "N", 1, 5, 5).node("Constant", "c", nil, "p", tensorAttr(int64TensorBytes("p", []int64{0, 0, 1, 1, 0, 0, 1, 1}))).
			node("Pad", "pad", []string{"x", "p"}, "xp", attr{name: "mode", typ: attrString, s: "reflect"}).node("AveragePool", "m", []string{"xp"}, "y", intsAttr("kernel_shape", 3, 3)).bytes(), Limits{}, ErrUnsupported, `mode "reflect"`},
		{"ceil mode", newGraph().input("x", "N", 1, 5, 5).node("MaxPool", "m", []string{"x"}, "y", intsAttr("kernel_shape", 2, 2), intsAttr("strides", 2, 2), intAttr("ceil_mode", 1)).bytes(), Limits{}, ErrUnsupported, "ceil_mode"},
		{"softmax over the batch", newGraph().node("Softmax", "s", []string{"x"}, "y", intAttr("axis", 0)).bytes(), Limits{}, ErrUnsupported, "last axis"},
		{"flatten from axis 2", newGraph().input("x", "N", 1, 2, 2).node("Flatten", "f", []string{"x"}, "y", intAttr("axis", 2)).bytes(), Limits{}, ErrUnsupported, "axis 2"},
		{"reshape that is not a flatten", newGraph().input("x", "N", 2, 2, 2).node("Constant", "c", nil, "s", tensorAttr(int64TensorBytes("s", []int64{-1, 2, 4}))).
			node("Reshape", "r", []string{"x", "s"}, "y").bytes(), Limits{}, ErrUnsupported, "flattens"},
		{"used Dropout mask", func() []byte {
			g := newGraph()
			var n encoder
			n.str(1, "x")
			n.str(2, "d")
			n.str(2, "mask")
			n.str(4, "Dropout")
			g.x.nodes = append(g.x.nodes, n.b)
			return g.node("Add", "a", []string{"d", "mask"}, "y").bytes()
		}(), Limits{}, ErrUnsupported, `output "mask" is used`},
		{"node off the path to the output", valid().node("Relu", "stray", []string{"w"}, "z").bytes(), Limits{}, ErrUnsupported, `"stray" (Relu) does not lead to the graph output "y"`},
		{"bad card metadata", func() []byte {
			b := valid().bytes()
			var kv encoder
			kv.str(1, CardKey)
			kv.str(2, `{"shape":[4],"bogus":1}`)
			return protowire.AppendBytes(protowire.AppendTag(b, 14, protowire.BytesType), kv.b)
		}(), Limits{}, ErrCorrupt, `metadata "gozoo.card"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, _, err := Import(bytes.NewReader(tc.file), ImportOptions{Limits: tc.lim})
			runtime.ReadMemStats(&after)
			if err == nil {
				t.Fatal("no error")
			}
			if tc.kind != nil && !errors.Is(err, tc.kind) {
				t.Errorf("error %q does not wrap %v", err, tc.kind)
			}
			if tc.kind == nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrLimit) {
				t.Errorf("error %q wraps none of the sentinels", err)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "onnx: ") || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q, want one line starting onnx: and containing %q", err, tc.want)
			}
			// Reading the file into memory costs its size; decoding it, a
			// bounded amount more.
			if got, bound := after.TotalAlloc-before.TotalAlloc, uint64(len(tc.file)+2<<20); got > bound {
				t.Errorf("import of a %d-byte file allocated %d bytes, more than %d", len(tc.file), got, bound)
			}
			t.Logf("%d-byte file, %d bytes allocated: %v", len(tc.file), after.TotalAlloc-before.TotalAlloc, err)
		})
	}
}

func TestImportCard(t *testing.T) {
	mnistMLP := func(outputs int) []byte {
		return newGraph().input("x", "N", 784).floats("w", []int{784, outputs}).node("MatMul", "mm", []string{"x", "w"}, "y").bytes()
	}
	for _, tc := range []struct {
		name string
		file []byte
		opts ImportOptions
		want *modelcard.Card
		err  string
	}{
		{"MNIST by default", mnistMLP(10), ImportOptions{}, modelcard.MNIST([]int{784}), ""},
		{"MNIST shape, other outputs", mnistMLP(3), ImportOptions{}, &modelcard.Card{Shape: []int{784}}, ""},
		{"flags replace the defaults", mnistMLP(10), ImportOptions{Dataset: "digits", Mean: []float32{0.1307}, Std: []float32{0.3081}},
			&modelcard.Card{Dataset: "digits", Shape: []int{784}, ClassNames: modelcard.MNIST(nil).ClassNames, Mean: []float32{0.1307}, Std: []float32{0.3081}}, ""},
		{"class names that do not fit", mnistMLP(3), ImportOptions{ClassNames: []string{"a", "b"}}, nil, "2 class names for a model with 3 outputs"},
		{"bad normalisation", mnistMLP(3), ImportOptions{Mean: []float32{0}, Std: []float32{0}}, nil, "stds must be positive"},
		{"negative limits", mnistMLP(3), ImportOptions{Limits: Limits{MaxNodes: -1}}, nil, "must not be negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, card, err := Import(bytes.NewReader(tc.file), tc.opts)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if card.Dataset != tc.want.Dataset || strings.Join(card.ClassNames, ",") != strings.Join(tc.want.ClassNames, ",") ||
				!equalFloats(card.Mean, tc.want.Mean) || !equalFloats(card.Std, tc.want.Std) || len(card.Shape) != 1 {
				t.Errorf("card %+v, want %+v", card, tc.want)
			}
		})
	}
}

func equalFloats(a, b []float32) bool {
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

// A graph of merges imports as a GraphModel that reads what the nodes read:
// an Add of a Conv and the input, Concat on the channels (axis -3) and on
// the features (axis -1), a Sum of three, GlobalAveragePool + Reshape as
// one layer, two Gemms reading one value, and a Sum and a Concat of one
// value and Identity as no layer at all. The outputs are those of the ONNX
// operators' definitions, in float64.
func TestImportGraphPatterns(t *testing.T) {
	w := []float32{0.5, -1, 2, 0.25}
	b := []float32{0.1, -0.3}
	g := newGraph().input("x", "N", 2, 3, 3)
	g.floats("w", []int{2, 2, 1, 1}, w...).floats("b", []int{2}, b...).floats("w1", []int{4, 3}).floats("w2", []int{4, 2})
	g.node("Conv", "c1", []string{"x", "w", "b"}, "a")
	g.node("Sum", "one sum", []string{"a"}, "s")
	g.node("Add", "residual", []string{"s", "x"}, "r")
	g.node("Concat", "one cat", []string{"r"}, "r1", intAttr("axis", 1))
	g.node("Identity", "id", []string{"r1"}, "r2")
	g.node("Concat", "cat", []string{"r2", "x"}, "c", intAttr("axis", -3))
	g.node("GlobalAveragePool", "gap", []string{"c"}, "p")
	g.node("Identity", "id2", []string{"p"}, "p2")
	g.node("Constant", "shape", nil, "shape", tensorAttr(int64TensorBytes("s", []int64{0, -1})))
	g.node("Reshape", "flat", []string{"p2", "shape"}, "f")
	g.node("Gemm", "g1", []string{"f", "w1"}, "h1")
	g.node("Gemm", "g2", []string{"f", "w2"}, "h2")
	g.node("Concat", "cat2", []string{"h1", "h2"}, "h", intAttr("axis", -1))
	g.node("Sum", "sum", []string{"h", "h", "h"}, "y")
	m, _, err := Import(bytes.NewReader(g.bytes()), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	gm, ok := m.(*nn.GraphModel)
	if !ok {
		t.Fatalf("imported a %T, want a graph model", m)
	}
	var got []string
	for i, l := range gm.Layers() {
		got = append(got, fmt.Sprintf("%s %s(%s)", nn.TypeOf(l), l.Name(), strings.Join(gm.LayerInputs()[i], ",")))
	}
	want := []string{"Conv2D conv1(input)", "Add add1(conv1,input)", "Concatenate concat1(add1,input)",
		"GlobalAveragePooling2D globalpool1(concat1)", "Dense dense1(globalpool1)", "Dense dense2(globalpool1)",
		"Concatenate concat2(dense1,dense2)", "Add add2(concat2,concat2,concat2)"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("layers\n%s\nwant\n%s", strings.Join(got, "; "), strings.Join(want, "; "))
	}
	x := make([]float32, 18)
	for i := range x {
		x[i] = float32(i%5)/4 - 0.5
	}
	outputs := evaluate(t, m, x)
	// The initializers' values, as testGraph.floats fills them.
	init := func(i int) float64 { return float64(float32(i%7) / 7) }
	var pooled [4]float64
	for pos := 0; pos < 9; pos++ {
		for o := 0; o < 2; o++ {
			a := float64(b[o])
			for c := 0; c < 2; c++ {
				a += float64(w[2*o+c]) * float64(x[9*c+pos])
			}
			pooled[o] += (a + float64(x[9*o+pos])) / 9
			pooled[2+o] += float64(x[9*o+pos]) / 9
		}
	}
	var out []float64
	for _, cols := range []int{3, 2} {
		for j := 0; j < cols; j++ {
			h := 0.0
			for k := 0; k < 4; k++ {
				h += pooled[k] * init(k*cols+j)
			}
			out = append(out, 3*h)
		}
	}
	for j, v := range outputs {
		if d := math.Abs(float64(v) - out[j]); d > 1e-6 {
			t.Errorf("output %d: %v, want %v", j, v, out[j])
		}
	}
}
