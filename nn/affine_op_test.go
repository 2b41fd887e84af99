package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// channelAffineOp gives the bits of the broadcast ops it replaces in an
// evaluation batch norm, for 4-D and 2-D inputs.
func TestChannelAffineMatchesBroadcastOps(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for _, shape := range [][]int{{3, 4, 5, 6}, {5, 7}, {1, 3, 1, 1}} {
		n := 1
		for _, d := range shape {
			n *= d
		}
		x := randomSlice(rng, n, 3)
		x[0], x[1] = float32(math.Inf(1)), float32(math.Copysign(0, -1))
		scale, shift := randomSlice(rng, shape[1], 2), randomSlice(rng, shape[1], 2)
		pattern := []byte{0}
		for a := 2; a < len(shape); a++ {
			pattern = append(pattern, byte(a))
		}
		run := func(fused bool) []float32 {
			g := G.NewGraph()
			xn := G.NewTensor(g, tensor.Float32, len(shape), G.WithShape(shape...), G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float32(nil), x...)))))
			sn := G.NewVector(g, tensor.Float32, G.WithShape(shape[1]), G.WithValue(tensor.New(tensor.WithShape(shape[1]), tensor.WithBacking(scale))))
			bn := G.NewVector(g, tensor.Float32, G.WithShape(shape[1]), G.WithValue(tensor.New(tensor.WithShape(shape[1]), tensor.WithBacking(shift))))
			var y *G.Node
			if fused {
				y = G.Must(G.ApplyOp(channelAffineOp{dims: len(shape), y: new(reused)}, xn, sn, bn))
			} else {
				y = G.Must(G.BroadcastAdd(G.Must(G.BroadcastHadamardProd(xn, sn, nil, pattern)), bn, nil, pattern))
			}
			vm := G.NewTapeMachine(g)
			defer vm.Close()
			if err := vm.RunAll(); err != nil {
				t.Fatal(err)
			}
			return append([]float32(nil), y.Value().Data().([]float32)...)
		}
		want, got := run(false), run(true)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("shape %v: y[%d] = %v, the broadcast ops give %v", shape, i, got[i], want[i])
			}
		}
	}
}
