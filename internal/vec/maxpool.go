package vec

import (
	"fmt"
	"math"
)

// NegMaxBits are the bits of -math.MaxFloat32, where Gorgonia starts a
// window's maximum.
const NegMaxBits = 0xff7fffff

// MaxPool2x2 pools one output row of a 2x2, stride-2 max pooling: out[ox]
// is the largest of top[2ox], top[2ox+1], bottom[2ox], bottom[2ox+1], and
// idx[ox] its index, top's counted from topAt and bottom's from bottomAt.
// The scan is Gorgonia's: it starts from -MaxFloat32 and index -1 and
// takes a value only if it is strictly greater, so the first of equal
// values wins (0 and -0 included), NaN never does, and a window of NaNs
// and -Infs gives -MaxFloat32 and -1.
func MaxPool2x2(out []float32, idx []int32, top, bottom []float32, topAt, bottomAt int32) {
	n := len(out)
	if len(idx) != n || len(top) < 2*n || len(bottom) < 2*n {
		panic(fmt.Sprintf("vec: 2x2 pooling into %d outputs and %d indices from rows of %d and %d", n, len(idx), len(top), len(bottom)))
	}
	maxPool2x2(out, idx, top, bottom, topAt, bottomAt)
}

// Scan is one step of a window's scan: v, at index i, replaces the maximum
// so far (its bits) and its index if v is greater. The comparison is
// Gorgonia's, on floats, but what it selects are integers, which the
// compiler moves without a branch: a branch on random data mispredicts
// about once a window, and made the loop about twice as slow.
func Scan(bits uint32, arg int32, v float32, i int32) (uint32, int32) {
	greater := v > math.Float32frombits(bits)
	vb := math.Float32bits(v)
	if greater {
		bits = vb
	}
	if greater {
		arg = i
	}
	return bits, arg
}

func maxPool2x2Go(out []float32, idx []int32, top, bottom []float32, topAt, bottomAt int32) {
	idx = idx[:len(out)]
	for ox := range out {
		i := 2 * ox
		j := int32(i)
		bits, arg := Scan(NegMaxBits, -1, top[i], topAt+j)
		bits, arg = Scan(bits, arg, top[i+1], topAt+j+1)
		bits, arg = Scan(bits, arg, bottom[i], bottomAt+j)
		bits, arg = Scan(bits, arg, bottom[i+1], bottomAt+j+1)
		out[ox] = math.Float32frombits(bits)
		idx[ox] = arg
	}
}
