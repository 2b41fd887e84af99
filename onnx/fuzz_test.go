package onnx

import (
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/gozoo/gozoo/nn"
)

// smallModel is a Sequential of every exportable layer type, small enough
// for the fuzzer to mutate quickly.
func smallModel(tb testing.TB) []byte {
	rng := rand.New(rand.NewPCG(9, 9))
	avg, err := nn.NewAvgPool2D("avg", [2]int{2, 2}, [2]int{1, 1}, [2]int{1, 1})
	if err != nil {
		tb.Fatal(err)
	}
	b := nn.NewBuilder([]int{1, 4, 4}, rng)
	b.Conv2D("conv", 2, 3, 1).BatchNorm("bn").ReLU("relu").Add(avg, nil).MaxPool2D("max", 2)
	b.Activation("tanh", nn.Tanh).Flatten("flat").Dense("dense", 3).BatchNorm("bn1").Activation("sigmoid", nn.Sigmoid)
	b.Dropout("drop", 0.5).Dense("out", 2).Activation("softmax", nn.Softmax)
	m, err := b.Build()
	if err != nil {
		tb.Fatal(err)
	}
	data, err := exportBytes(m, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// FuzzImport checks that no input makes the importer panic, and that a
// model it accepts exports and imports again with the same layers and
// parameters. The seeds are PyTorch's CNN with BatchNorm, a gozoo export
// of every layer type, hostile files of the kinds TestImportRejects lists,
// and (testdata/fuzz/FuzzImport) inputs a fuzzing run found that reach
// past the protobuf layer into the graph checks.
func FuzzImport(f *testing.F) {
	if data, err := os.ReadFile("testdata/torch/bn_cnn.onnx"); err == nil {
		f.Add(data)
	}
	f.Add(smallModel(f))
	f.Add(hugeNodes(300))
	g := newGraph().floats("w", []int{3, 4}).floats("b", []int{3}).node("Gemm", "dense", []string{"x", "w", "b"}, "y", intAttr("transB", 1))
	f.Add(g.bytes())
	f.Add(newGraph().node("Relu", "r0", []string{"x"}, "a").node("Add", "loop", []string{"a", "c"}, "b").
		node("Relu", "r2", []string{"b"}, "c").node("Relu", "r3", []string{"b"}, "y").bytes())
	f.Add(newGraph().input("x", "N", 1, 5, 5).node("Constant", "c", nil, "p", tensorAttr(int64TensorBytes("p", []int64{0, 0, 1, 1, 0, 0, 1, 1}))).
		node("Pad", "pad", []string{"x", "p"}, "xp").node("AveragePool", "m", []string{"xp"}, "y", intsAttr("kernel_shape", 3, 3)).bytes())
	f.Add([]byte("\x08\x07\x3a\x00"))
	lim := Limits{MaxBytes: 1 << 20, MaxNodes: 256}
	f.Fuzz(func(t *testing.T, data []byte) {
		if int64(len(data)) > lim.MaxBytes {
			return
		}
		roundTrip(t, data, lim)
	})
}

// roundTrip imports data and, if that works, checks that the model exports
// and imports again as the same kind, with the same layers (Dropout aside,
// which exports as nothing) and parameters, bit for bit.
func roundTrip(t *testing.T, data []byte, lim Limits) {
	m, card, err := importBytes(data, ImportOptions{Limits: lim})
	if err != nil {
		return
	}
	again, err := exportBytes(m, card)
	if err != nil {
		t.Fatalf("an imported model does not export: %v", err)
	}
	m2, _, err := importBytes(again, ImportOptions{Limits: Limits{MaxBytes: DefaultMaxBytes, MaxNodes: DefaultMaxNodes}})
	if err != nil {
		t.Fatalf("an exported model does not import: %v", err)
	}
	if m.Kind() != m2.Kind() {
		t.Fatalf("round trip: a %s model became a %s model", m.Kind(), m2.Kind())
	}
	count := func(s Model) (layers, params int) {
		for _, l := range s.Layers() {
			if nn.TypeOf(l) != "Dropout" {
				layers++
			}
		}
		for _, p := range s.Params() {
			params += len(p.Data())
		}
		return
	}
	l1, p1 := count(m)
	l2, p2 := count(m2)
	if l1 != l2 || p1 != p2 {
		t.Fatalf("round trip: %d layers and %d parameters became %d and %d", l1, p1, l2, p2)
	}
	for i, p := range m2.Params() {
		a, b := p.Data(), m.Params()[i].Data()
		for j := range a {
			if math.Float32bits(a[j]) != math.Float32bits(b[j]) {
				t.Fatalf("round trip changed %s[%d] from %v to %v", p.Name, j, b[j], a[j])
			}
		}
	}
}
