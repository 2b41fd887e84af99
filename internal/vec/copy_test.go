package vec

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestCopyAndAddMatchGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, n := range []int{1, 5, 10, 15, 16, 17, 28, 31, 32, 33, 100} {
		for _, rows := range []int{1, 3, 10} {
			ds, ss := n+rng.IntN(7), n+rng.IntN(7)
			src := make([]float32, (rows-1)*ss+n)
			for i := range src {
				src[i] = rng.Float32()
			}
			// dst is longer than the runs need, with sentinels around them.
			got := make([]float32, (rows-1)*ds+n+20)
			for i := range got {
				got[i] = -1
			}
			want := slices.Clone(got)
			Copy(got[10:], src, n, rows, ds, ss)
			copyGo(want[10:], src, n, rows, ds, ss)
			if !slices.Equal(got, want) {
				t.Fatalf("n=%d rows=%d strides %d/%d: %v, want %v", n, rows, ds, ss, got, want)
			}
			Add(got[10:], src, n, rows, ds, ss)
			addGo(want[10:], src, n, rows, ds, ss)
			if !slices.Equal(got, want) {
				t.Fatalf("add: n=%d rows=%d strides %d/%d: %v, want %v", n, rows, ds, ss, got, want)
			}
		}
	}
}

func TestCopyPanicsOutside(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	Copy(make([]float32, 10), make([]float32, 30), 5, 3, 5, 10)
}
