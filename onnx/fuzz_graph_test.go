package onnx

import (
	"testing"
)

// residualGraph is a small ONNX graph of the shapes torchvision's ResNets
// export as: a stem, a block with a strided projection shortcut (1x1 Conv +
// BatchNormalization) added to two convolutions, a MaxPool branch joined
// by Concat on the channels, GlobalAveragePool, Flatten and Gemm.
func residualGraph() []byte {
	g := newGraph().input("x", "N", 1, 6, 6)
	g.floats("w1", []int{4, 1, 3, 3}).floats("w2", []int{4, 4, 3, 3}).floats("w3", []int{4, 4, 3, 3}).floats("wp", []int{4, 4, 1, 1})
	for _, bn := range []string{"bn1", "bn2", "bnp"} {
		g.floats(bn+".g", []int{4}, 1, 0.5, 2, 1).floats(bn+".b", []int{4}, 0, 0.1, -0.1, 0.2).
			floats(bn+".m", []int{4}, 0.1, 0, -0.2, 0.3).floats(bn+".v", []int{4}, 1, 2, 0.5, 1.5)
	}
	g.floats("wf", []int{2, 8}).floats("bf", []int{2}, 0.5, -0.5)
	conv := func(name, in, w, out string, stride, pad int64) {
		g.node("Conv", name, []string{in, w}, out, intsAttr("strides", stride, stride), intsAttr("pads", pad, pad, pad, pad))
	}
	bn := func(name, in, out string) {
		g.node("BatchNormalization", name, []string{in, name + ".g", name + ".b", name + ".m", name + ".v"}, out)
	}
	conv("stem", "x", "w1", "a", 1, 1)
	bn("bn1", "a", "an")
	g.node("Relu", "relu1", []string{"an"}, "ar")
	conv("conv2", "ar", "w2", "b", 2, 1)
	bn("bn2", "b", "bn")
	g.node("Relu", "relu2", []string{"bn"}, "br")
	conv("conv3", "br", "w3", "c", 1, 1)
	conv("proj", "ar", "wp", "d", 2, 0)
	bn("bnp", "d", "dn")
	g.node("Add", "add", []string{"c", "dn"}, "s")
	g.node("Relu", "relu3", []string{"s"}, "sr")
	g.node("MaxPool", "pool", []string{"ar"}, "m", intsAttr("kernel_shape", 2, 2), intsAttr("strides", 2, 2))
	g.node("Concat", "cat", []string{"sr", "m"}, "cat", intAttr("axis", 1))
	g.node("GlobalAveragePool", "gap", []string{"cat"}, "p")
	g.node("Flatten", "flat", []string{"p"}, "f", intAttr("axis", 1))
	g.node("Gemm", "fc", []string{"f", "wf", "bf"}, "y", intAttr("transB", 1))
	return g.bytes()
}

// FuzzImportGraph checks graph import as FuzzImport checks chains: no
// input makes it panic, and a graph it accepts exports and imports again
// as the same kind of model with the same layers and parameters, bit for
// bit. The seeds are a small residual network with a projection shortcut
// and a Concat, and the hostile graphs of TestImportRejects: a cycle
// through an Add, nodes out of order, an Add of mismatched shapes and a
// dangling input.
func FuzzImportGraph(f *testing.F) {
	seed := residualGraph()
	if _, _, err := importBytes(seed, ImportOptions{Limits: Limits{MaxBytes: DefaultMaxBytes, MaxNodes: DefaultMaxNodes}}); err != nil {
		f.Fatalf("the residual seed does not import: %v", err)
	}
	f.Add(seed)
	f.Add(newGraph().node("Relu", "r0", []string{"x"}, "a").node("Add", "loop", []string{"a", "c"}, "b").
		node("Relu", "r2", []string{"b"}, "c").node("Relu", "r3", []string{"b"}, "y").bytes())
	f.Add(newGraph().node("Relu", "late", []string{"a"}, "b").node("Tanh", "early", []string{"x"}, "a").node("Add", "add", []string{"a", "b"}, "y").bytes())
	f.Add(newGraph().input("x", "N", 1, 5, 5).floats("w", []int{2, 1, 3, 3}).node("Conv", "c", []string{"x", "w"}, "a").
		node("Add", "add", []string{"a", "x"}, "s").node("Flatten", "f", []string{"s"}, "y").bytes())
	f.Add(newGraph().node("Relu", "r", []string{"x"}, "a").node("Add", "add", []string{"a", "ghost"}, "y").bytes())
	lim := Limits{MaxBytes: 1 << 20, MaxNodes: 256}
	f.Fuzz(func(t *testing.T, data []byte) {
		if int64(len(data)) > lim.MaxBytes {
			return
		}
		roundTrip(t, data, lim)
	})
}
