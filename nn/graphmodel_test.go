package nn

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/internal/testutil"
)

// residualNet is a small residual network with every graph piece: a
// strided convolution without bias, an identity shortcut, a 1x1 projection
// shortcut with stride, a concatenation of channels, global average pooling.
// withBatchNorm adds BatchNorm after the convolutions and a dropout before
// the classifier; without it the network is smooth (Tanh for ReLU, average
// for max pooling), so that finite differences do not straddle kinks.
func residualNet(t testing.TB, withBatchNorm bool) *GraphModel {
	t.Helper()
	b := NewGraphBuilder(rand.New(rand.NewPCG(5, 6)))
	b.Init = HeNormal
	b.Name = "tiny-resnet"
	bn := func(name string, x Ref) Ref {
		if withBatchNorm {
			return b.BatchNorm(name, x)
		}
		return x
	}
	act := ReLU
	pool := b.MaxPool2D
	if !withBatchNorm {
		act, pool = Tanh, b.AvgPool2D
	}
	relu := func(name string, x Ref) Ref { return b.Activation(name, act, x) }
	x := b.Input("image", 2, 6, 6)
	stem := relu("stem_relu", bn("stem_bn", b.Conv2D("stem", x, 3, 3, 1, 1, true)))
	// identity block
	y := relu("b1_relu1", bn("b1_bn1", b.Conv2D("b1_conv1", stem, 3, 3, 1, 1, false)))
	y = bn("b1_bn2", b.Conv2D("b1_conv2", y, 3, 3, 1, 1, false))
	y = relu("b1_relu2", b.Add("b1_add", y, stem))
	// projection block, stride 2
	z := relu("b2_relu1", bn("b2_bn1", b.Conv2D("b2_conv1", y, 4, 3, 2, 1, false)))
	z = bn("b2_bn2", b.Conv2D("b2_conv2", z, 4, 3, 1, 1, false))
	short := bn("b2_proj_bn", b.Conv2D("b2_proj", y, 4, 1, 2, 0, false))
	z = relu("b2_relu2", b.Add("b2_add", z, short))
	// a second path joined by concatenation
	w := b.Conv2D("side", pool("side_pool", y, 2), 2, 1, 1, 0, true)
	c := b.Concatenate("concat", 0, z, w)
	out := b.GlobalAvgPool2D("gap", c)
	if withBatchNorm {
		out = b.Dropout("drop", out, 0.3)
	}
	m, err := b.Build(b.Dense("fc", out, 3))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestGraphModelShapesAndOrder(t *testing.T) {
	m := residualNet(t, true)
	if got := m.OutputShape(); !slices.Equal(got, []int{3}) {
		t.Fatalf("output shape %v, want [3]", got)
	}
	shapes := map[string][]int{}
	for i, l := range m.Layers() {
		shapes[l.Name()] = m.LayerOutputShapes()[i]
	}
	for name, want := range map[string][]int{"b2_conv1": {4, 3, 3}, "b2_proj": {4, 3, 3}, "side": {2, 3, 3}, "concat": {6, 3, 3}, "gap": {6}} {
		if !slices.Equal(shapes[name], want) {
			t.Errorf("%s: shape %v, want %v", name, shapes[name], want)
		}
	}
	reads := m.LayerInputs()
	for i, l := range m.Layers() {
		if l.Name() == "b2_add" && strings.Join(reads[i], ",") != "b2_bn2,b2_proj_bn" {
			t.Errorf("b2_add reads %v", reads[i])
		}
		if l.Name() == "stem" && strings.Join(reads[i], ",") != "image" {
			t.Errorf("stem reads %v", reads[i])
		}
	}
}

// A graph model's forward pass equals the same arithmetic written out by
// hand: two dense branches of one input, added, then a dense layer over
// the concatenation of the sum and the input.
func TestGraphModelForwardByHand(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	b := NewGraphBuilder(rng)
	x := b.Input("x", 4)
	s := b.Add("sum", b.Dense("a", x, 4), b.Dense("b", x, 4))
	out := b.Dense("out", b.Concatenate("cat", -1, s, x), 2)
	m, err := b.Build(out)
	if err != nil {
		t.Fatal(err)
	}
	const batch = 3
	p, err := Compile(m, Evaluation, batch, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	in := randomSlice(rng, batch*4, 1)
	copy(p.Input(), in)
	if err := p.Run(nil); err != nil {
		t.Fatal(err)
	}
	params := map[string][]float32{}
	for _, prm := range m.Params() {
		params[prm.Name] = prm.Data()
	}
	dense := func(name string, v []float64, outs int) []float64 {
		w, bias := params[name+"/weight"], params[name+"/bias"]
		y := make([]float64, outs)
		for o := range y {
			y[o] = float64(bias[o])
			for i := range v {
				y[o] += v[i] * float64(w[i*outs+o])
			}
		}
		return y
	}
	var got, want []float64
	for r := 0; r < batch; r++ {
		row := make([]float64, 4)
		for i := range row {
			row[i] = float64(in[r*4+i])
		}
		a, bb := dense("a", row, 4), dense("b", row, 4)
		cat := make([]float64, 0, 8)
		for i := range a {
			cat = append(cat, a[i]+bb[i])
		}
		cat = append(cat, row...)
		want = append(want, dense("out", cat, 2)...)
	}
	for _, v := range p.Outputs() {
		got = append(got, float64(v))
	}
	testutil.AllClose(t, "outputs", got, want, 1e-5, 1e-5)
}

// A graph with one path computes what the Sequential of the same layers
// computes, bit for bit, in training and in evaluation.
func TestGraphModelOnePathEqualsSequential(t *testing.T) {
	build := func() []Layer {
		rng := rand.New(rand.NewPCG(7, 7))
		c, _ := NewConv2D("conv", 1, 3, Pair(3), Pair(2), Pair(1), false, HeNormal, rng)
		bn, _ := NewBatchNorm2D("bn", 3)
		r, _ := NewActivation("relu", ReLU)
		d, _ := NewDense("fc", 3, 4, GlorotUniform, rng)
		return []Layer{c, bn, r, NewGlobalAvgPool2D("gap"), d}
	}
	seq, err := NewSequential([]int{1, 7, 7}, build()...)
	if err != nil {
		t.Fatal(err)
	}
	b := NewGraphBuilder(rand.New(rand.NewPCG(1, 1)))
	x := b.Input("input", 1, 7, 7)
	for _, l := range build() {
		x = b.Apply(l, x)
	}
	g, err := b.Build(x)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 3))
	in, y := randomSlice(rng, 5*49, 1), oneHot(rng, 5, 4)
	for _, mode := range []Mode{Training, Evaluation} {
		var outs [2][]float32
		var grads [2][][]float32
		for k, m := range []Model{seq, g} {
			p, err := Compile(m, mode, 5, SoftmaxCrossEntropy{})
			if err != nil {
				t.Fatal(err)
			}
			copy(p.Input(), in)
			copy(p.Target(), y)
			if err := p.Run(nil); err != nil {
				t.Fatal(err)
			}
			outs[k] = append([]float32(nil), p.Outputs()...)
			if mode == Training {
				gs, err := p.Grads(nil)
				if err != nil {
					t.Fatal(err)
				}
				for _, gr := range gs {
					grads[k] = append(grads[k], append([]float32(nil), gr...))
				}
			}
			p.Close()
		}
		testutil.SameBits(t, mode.String()+" outputs", outs[1], outs[0])
		for i := range grads[0] {
			testutil.SameBits(t, fmt.Sprintf("gradient %d", i), grads[1][i], grads[0][i])
		}
	}
}

func TestGraphModelGradients(t *testing.T) {
	m := residualNet(t, false)
	rng := rand.New(rand.NewPCG(2, 3))
	const batch = 2
	x := randomSlice(rng, batch*2*6*6, 1)
	y := oneHot(rng, batch, 3)
	checkGradients(t, m, SoftmaxCrossEntropy{}, batch, x, y)
}

func TestGraphArchitectureRoundTrip(t *testing.T) {
	m := residualNet(t, true)
	data, err := m.ConfigJSON()
	if err != nil {
		t.Fatal(err)
	}
	var a GraphArchitecture
	if err := json.Unmarshal(data, &a); err != nil {
		t.Fatal(err)
	}
	// A file may list layers in any order: reversed, it still loads, in the
	// same topological order as the original.
	for i, j := 0, len(a.Layers)-1; i < j; i, j = i+1, j-1 {
		a.Layers[i], a.Layers[j] = a.Layers[j], a.Layers[i]
	}
	back, err := FromGraphArchitecture(a, rand.New(rand.NewPCG(9, 9)))
	if err != nil {
		t.Fatal(err)
	}
	if back.Name() != "tiny-resnet" {
		t.Errorf("name %q", back.Name())
	}
	want := m.Params()
	got := back.Params()
	if len(got) != len(want) {
		t.Fatalf("%d params, want %d", len(got), len(want))
	}
	byName := map[string]*Param{}
	for _, p := range got {
		byName[p.Name] = p
	}
	for _, p := range want {
		q := byName[p.Name]
		if q == nil || !slices.Equal(q.Shape(), p.Shape()) {
			t.Fatalf("param %s missing or reshaped", p.Name)
		}
		copy(q.Data(), p.Data())
	}
	rng := rand.New(rand.NewPCG(4, 4))
	in := randomSlice(rng, 3*72, 1)
	var outs [2][]float32
	for k, mm := range []Model{m, back} {
		p, err := Compile(mm, Evaluation, 3, nil)
		if err != nil {
			t.Fatal(err)
		}
		copy(p.Input(), in)
		if err := p.Run(nil); err != nil {
			t.Fatal(err)
		}
		outs[k] = append([]float32(nil), p.Outputs()...)
		p.Close()
	}
	testutil.SameBits(t, "outputs after a round trip", outs[1], outs[0])
}

func TestGraphArchitectureRefusals(t *testing.T) {
	dense := func(name string, in, out int, reads ...string) string {
		r, _ := json.Marshal(reads)
		return fmt.Sprintf(`{"type":"Dense","name":%q,"config":{"inputs":%d,"outputs":%d},"inputs":%s}`, name, in, out, r)
	}
	arch := func(output string, layers ...string) string {
		return fmt.Sprintf(`{"inputs":[{"name":"x","shape":[4]}],"layers":[%s],"outputs":[%q]}`, strings.Join(layers, ","), output)
	}
	many := make([]string, MaxLayers+1)
	for i := range many {
		many[i] = fmt.Sprintf(`{"type":"ReLU","name":"r%d","inputs":["x"]}`, i)
	}
	for _, tc := range []struct{ name, json, want string }{
		{"cycle", arch("c", dense("a", 4, 4, "c"), dense("b", 4, 4, "a"), dense("c", 4, 4, "b")), "cycle"},
		{"self", arch("a", dense("a", 4, 4, "a")), "reads itself"},
		{"dangling", arch("a", dense("a", 4, 4, "nowhere")), `reads "nowhere", which is neither an input nor a layer`},
		{"dangling output", arch("z", dense("a", 4, 4, "x")), `the output "z" is not a layer`},
		{"output is the input", arch("x", dense("a", 4, 4, "x")), `the output "x" is not a layer`},
		{"duplicate", arch("a", dense("a", 4, 4, "x"), dense("a", 4, 4, "x")), `name "a" is used twice`},
		{"add shape mismatch", arch("s", dense("a", 4, 3, "x"), dense("b", 4, 2, "x"), `{"type":"Add","name":"s","inputs":["a","b"]}`), "every input must have the same shape"},
		{"concat rank mismatch", `{"inputs":[{"name":"x","shape":[1,4,4]},{"name":"v","shape":[4]}],"layers":[{"type":"Concatenate","name":"c","config":{"axis":0},"inputs":["x","v"]}],"outputs":["c"]}`, "ranks differ"},
		{"single-input layer given two", arch("a", dense("a", 4, 4, "x", "x")), "Dense takes 1 input, got 2"},
		{"add of one", arch("s", `{"type":"Add","name":"s","inputs":["x"]}`), "add wants 2 or more inputs"},
		{"wrong width", arch("a", dense("a", 5, 4, "x")), "layer \"a\""},
		{"unused layer", arch("a", dense("a", 4, 4, "x"), dense("b", 4, 4, "x")), `layer "b" does not lead to the output`},
		{"reads nothing", arch("a", `{"type":"ReLU","name":"a","inputs":[]}`), "reads nothing"},
		{"too many layers", arch("r0", many...), "more than 1024"},
		{"huge dense", arch("a", dense("a", 4, 1<<30, "x")), "parameters"},
		{"no inputs", `{"inputs":[],"layers":[{"type":"ReLU","name":"a","inputs":["x"]}],"outputs":["a"]}`, "no inputs"},
		{"two outputs", `{"inputs":[{"name":"x","shape":[4]}],"layers":[{"type":"ReLU","name":"a","inputs":["x"]}],"outputs":["a","a"]}`, "2 outputs"},
		{"unknown type", arch("a", `{"type":"Lambda","name":"a","inputs":["x"]}`), `unknown layer type "Lambda"`},
		{"image output", `{"inputs":[{"name":"x","shape":[1,4,4]}],"layers":[{"type":"ReLU","name":"a","inputs":["x"]}],"outputs":["a"]}`, "must be a vector"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a GraphArchitecture
			err := json.Unmarshal([]byte(tc.json), &a)
			if err == nil {
				_, err = FromGraphArchitecture(a, rand.New(rand.NewPCG(1, 1)))
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

// A file listing a million layers is refused after reading 1,025 of them:
// the decoder never holds the rest.
func TestGraphArchitectureMillionLayersBoundedMemory(t *testing.T) {
	var sb strings.Builder
	sb.WriteString(`{"inputs":[{"name":"x","shape":[4]}],"layers":[`)
	for i := range 1_000_000 {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"type":"ReLU","name":"r%d","inputs":["x"]}`, i)
	}
	sb.WriteString(`],"outputs":["r0"]}`)
	data := []byte(sb.String())
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var a GraphArchitecture
	err := json.NewDecoder(bytes.NewReader(data)).Decode(&a)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "more than 1024 layers") {
		t.Fatalf("error %v", err)
	}
	// The decoder's own copy of the input is one allocation of its size;
	// the layers decoded before the refusal are a few hundred KB more.
	if extra := after.TotalAlloc - before.TotalAlloc; extra > 3*uint64(len(data))+8<<20 {
		t.Errorf("decoding allocated %d MB for a %d MB file", extra>>20, len(data)>>20)
	} else {
		t.Logf("decoding allocated %d MB for a %d MB file", extra>>20, len(data)>>20)
	}
}

func TestGraphBuilderErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	b := NewGraphBuilder(rng)
	x := b.Input("x", 1, 4, 4)
	b.Dense("d", x, 3) // an image into a dense layer
	if _, err := b.Build(x); err == nil || !strings.Contains(err.Error(), "wants a vector input") {
		t.Fatalf("error %v", err)
	}
	b = NewGraphBuilder(rng)
	x = b.Input("x", 4)
	other := NewGraphBuilder(rng).Input("y", 4)
	b.Add("s", x, other)
	if _, err := b.Build(x); err == nil || !strings.Contains(err.Error(), "another builder") {
		t.Fatalf("error %v", err)
	}
	if _, err := NewSequential([]int{4}, NewAdd("s")); err == nil || !strings.Contains(err.Error(), "use it in a graph model") {
		t.Fatalf("an Add in a Sequential: error %v", err)
	}
	b = NewGraphBuilder(rng)
	x = b.Input("x", 4)
	y := b.Dense("d", x, 2)
	if _, err := b.Build(y); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Build(y); err == nil {
		t.Fatal("a builder built twice")
	}
}

func FuzzGraphArchitecture(f *testing.F) {
	m := residualNet(f, true)
	good, err := m.ConfigJSON()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"inputs":[{"name":"x","shape":[4]}],"layers":[{"type":"Dense","name":"a","config":{"inputs":4,"outputs":4},"inputs":["b"]},{"type":"Dense","name":"b","config":{"inputs":4,"outputs":4},"inputs":["a"]}],"outputs":["a"]}`))
	f.Add([]byte(`{"inputs":[{"name":"x","shape":[3,8,8]}],"layers":[{"type":"Conv2D","name":"c","config":{"in_channels":3,"out_channels":4,"kernel":[3,3],"stride":[2,2],"padding":[1,1]},"inputs":["x"]},{"type":"Concatenate","name":"k","config":{"axis":-3},"inputs":["c","c"]},{"type":"GlobalAveragePooling2D","name":"g","inputs":["k"]}],"outputs":["g"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var a GraphArchitecture
		if json.Unmarshal(data, &a) != nil {
			return
		}
		g, err := FromGraphArchitecture(a, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			return
		}
		// What loads describes itself and loads again the same.
		again, err := g.ConfigJSON()
		if err != nil {
			t.Fatal(err)
		}
		var b GraphArchitecture
		if err := json.Unmarshal(again, &b); err != nil {
			t.Fatal(err)
		}
		if _, err := FromGraphArchitecture(b, rand.New(rand.NewPCG(1, 1))); err != nil {
			t.Fatalf("a loaded architecture does not load again: %v", err)
		}
	})
}
