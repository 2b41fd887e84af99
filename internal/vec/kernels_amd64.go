//go:build !purego

package vec

//go:noescape
func reluAVX512(dst, x *float32, n int, tail uint16)

//go:noescape
func reluGradAVX512(dst, x, dy *float32, n int, tail uint16)

//go:noescape
func maxPool2x2AVX512(out *float32, idx *int32, top, bottom *float32, groups int, topAt, bottomAt int32, perm *int32, inLo, inHi, outMask uint16)

// lowBits returns a mask of the n (0 to 16) low lanes.
func lowBits(n int) uint16 { return uint16(uint32(1)<<n - 1) }

func relu(dst, x []float32) {
	if !haveAVX512 || len(x) == 0 {
		reluGo(dst, x)
		return
	}
	reluAVX512(&dst[0], &x[0], len(x), lowBits(len(x)%16))
}

func reluGrad(dst, x, dy []float32) {
	if !haveAVX512 || len(x) == 0 {
		reluGradGo(dst, x, dy)
		return
	}
	reluGradAVX512(&dst[0], &x[0], &dy[0], len(x), lowBits(len(x)%16))
}

// poolPerm is maxPool2x2AVX512's table: even lanes, odd lanes, and each
// output lane's offset in its rows.
var poolPerm = func() (p [48]int32) {
	for i := range 16 {
		p[i], p[16+i], p[32+i] = int32(2*i), int32(2*i+1), int32(2*i)
	}
	return p
}()

func maxPool2x2(out []float32, idx []int32, top, bottom []float32, topAt, bottomAt int32) {
	n := len(out)
	if !haveAVX512 || n == 0 {
		maxPool2x2Go(out, idx, top, bottom, topAt, bottomAt)
		return
	}
	if groups := n / 16; groups > 0 {
		maxPool2x2AVX512(&out[0], &idx[0], &top[0], &bottom[0], groups, topAt, bottomAt, &poolPerm[0], 0xffff, 0xffff, 0xffff)
	}
	if r := n % 16; r > 0 {
		o := n - r
		maxPool2x2AVX512(&out[o], &idx[o], &top[2*o], &bottom[2*o], 1, topAt+int32(2*o), bottomAt+int32(2*o), &poolPerm[0],
			lowBits(min(2*r, 16)), lowBits(max(2*r-16, 0)), lowBits(r))
	}
}
