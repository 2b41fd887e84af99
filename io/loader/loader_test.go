package loader

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// images is an MNIST-like Classified dataset: uint8 pixels scaled by 1/255.
type images struct {
	pixels  []uint8
	labels  []int
	shape   []int
	size    int
	classes int
}

func newImages(n, size, classes int) *images {
	d := &images{pixels: make([]uint8, n*size), labels: make([]int, n), shape: []int{size}, size: size, classes: classes}
	for i := range d.pixels {
		d.pixels[i] = uint8(i * 13)
	}
	for i := range d.labels {
		d.labels[i] = (i * 7) % classes
	}
	return d
}

func (d *images) Len() int          { return len(d.labels) }
func (d *images) InputShape() []int { return d.shape }
func (d *images) Input(i int, dst []float32) {
	for j, p := range d.pixels[i*d.size : (i+1)*d.size] {
		dst[j] = float32(p) / 255
	}
}
func (d *images) Classes() int    { return d.classes }
func (d *images) Label(i int) int { return d.labels[i] }

// line is a Regression dataset: input [i, -i], target [2i, 3i, 1].
type line struct{ n int }

func (d line) Len() int                   { return d.n }
func (d line) InputShape() []int          { return []int{2} }
func (d line) Input(i int, dst []float32) { dst[0], dst[1] = float32(i), -float32(i) }
func (d line) TargetSize() int            { return 3 }
func (d line) Target(i int, dst []float32) {
	dst[0], dst[1], dst[2] = 2*float32(i), 3*float32(i), 1
}

// labelledLine is both Classified and Regression.
type labelledLine struct{ line }

func (d labelledLine) Classes() int    { return 2 }
func (d labelledLine) Label(i int) int { return i % 2 }

// plain is a Dataset only, with a configurable (possibly bad) shape.
type plain struct {
	n     int
	shape []int
}

func (d plain) Len() int                   { return d.n }
func (d plain) InputShape() []int          { return d.shape }
func (d plain) Input(i int, dst []float32) { clear(dst) }

func TestEpochCoversEverySampleOnce(t *testing.T) {
	cases := []struct{ n, batch int }{
		{0, 3}, {1, 1}, {1, 5}, {3, 10}, {10, 3}, {10, 10}, {10, 1}, {64, 8}, {1000, 64}, {60000, 128},
	}
	for _, c := range cases {
		for _, seeded := range []bool{false, true} {
			var rng *rand.Rand
			if seeded {
				rng = rand.New(rand.NewPCG(uint64(c.n), 7))
			}
			batches, err := Epoch(c.n, c.batch, rng)
			if err != nil {
				t.Fatalf("Epoch(%d, %d): %v", c.n, c.batch, err)
			}
			if want := (c.n + c.batch - 1) / c.batch; len(batches) != want {
				t.Errorf("Epoch(%d, %d): %d batches, want %d", c.n, c.batch, len(batches), want)
			}
			seen := make([]int, c.n)
			var order []int
			for k, b := range batches {
				wantLen := c.batch
				if k == len(batches)-1 {
					wantLen = c.n - k*c.batch
				}
				if len(b) != wantLen || cap(b) != len(b) {
					t.Errorf("Epoch(%d, %d): batch %d has len %d cap %d, want %d", c.n, c.batch, k, len(b), cap(b), wantLen)
				}
				for _, i := range b {
					seen[i]++
				}
				order = append(order, b...)
			}
			for i, s := range seen {
				if s != 1 {
					t.Fatalf("Epoch(%d, %d, seeded=%v): sample %d used %d times", c.n, c.batch, seeded, i, s)
				}
			}
			if !seeded && !slices.IsSorted(order) {
				t.Errorf("Epoch(%d, %d, nil): not in order", c.n, c.batch)
			}
			if seeded && c.n >= 10 && slices.IsSorted(order) {
				t.Errorf("Epoch(%d, %d, rng): not shuffled", c.n, c.batch)
			}
		}
	}
}

func TestEpochSeeds(t *testing.T) {
	epoch := func(seed uint64) []int {
		batches, err := Epoch(100, 16, rand.New(rand.NewPCG(seed, 0)))
		if err != nil {
			t.Fatal(err)
		}
		return slices.Concat(batches...)
	}
	if a, b := epoch(1), epoch(1); !slices.Equal(a, b) {
		t.Error("same seed gave different orders")
	}
	if a, b := epoch(1), epoch(2); slices.Equal(a, b) {
		t.Error("different seeds gave the same order")
	}
	// Successive epochs from one source differ.
	rng := rand.New(rand.NewPCG(3, 0))
	e1, _ := Epoch(100, 100, rng)
	e2, _ := Epoch(100, 100, rng)
	if slices.Equal(e1[0], e2[0]) {
		t.Error("two epochs from one source gave the same order")
	}
}

func TestEpochErrors(t *testing.T) {
	cases := []struct {
		name     string
		n, batch int
		want     string
	}{
		{"negative n", -1, 4, "dataset size -1"},
		{"zero batch", 10, 0, "batch size must be positive, got 0"},
		{"negative batch", 10, -3, "got -3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Epoch(c.n, c.batch, nil); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestFill(t *testing.T) {
	ds := newImages(6, 4, 3)
	indices := []int{5, 0, 2}

	x := make([]float32, 12)
	if err := FillInputs(ds, indices, x); err != nil {
		t.Fatal(err)
	}
	for k, i := range indices {
		for j := range 4 {
			if want := float32(uint8((i*4+j)*13)) / 255; x[k*4+j] != want {
				t.Errorf("input %d[%d] = %g, want %g", i, j, x[k*4+j], want)
			}
		}
	}

	y := slices.Repeat([]float32{7}, 9) // FillOneHot must clear old values
	if err := FillOneHot(ds, indices, y); err != nil {
		t.Fatal(err)
	}
	// Labels (i*7)%3: sample 5 -> 2, 0 -> 0, 2 -> 2.
	if want := []float32{0, 0, 1, 1, 0, 0, 0, 0, 1}; !slices.Equal(y, want) {
		t.Errorf("one-hot = %v, want %v", y, want)
	}

	labels := make([]int, 3)
	if err := FillLabels(ds, indices, labels); err != nil {
		t.Fatal(err)
	}
	if want := []int{2, 0, 2}; !slices.Equal(labels, want) {
		t.Errorf("labels = %v, want %v", labels, want)
	}

	targets := make([]float32, 6)
	if err := FillTargets(line{n: 5}, []int{4, 1}, targets); err != nil {
		t.Fatal(err)
	}
	if want := []float32{8, 12, 1, 2, 3, 1}; !slices.Equal(targets, want) {
		t.Errorf("targets = %v, want %v", targets, want)
	}

	// An empty batch fills nothing and is fine.
	if err := FillInputs(ds, nil, nil); err != nil {
		t.Errorf("empty batch: %v", err)
	}
}

func TestFillErrors(t *testing.T) {
	ds := newImages(4, 2, 3)
	badLabel := newImages(4, 2, 3)
	badLabel.labels[1] = 3
	cases := []struct {
		name string
		fill func() error
		want string
	}{
		{"inputs short", func() error { return FillInputs(ds, []int{0, 1}, make([]float32, 3)) }, "holds 3 values, want 2 samples x 2"},
		{"inputs long", func() error { return FillInputs(ds, []int{0, 1}, make([]float32, 5)) }, "holds 5 values"},
		{"index high", func() error { return FillInputs(ds, []int{0, 4}, make([]float32, 4)) }, "index 4 out of range for a dataset of 4"},
		{"index negative", func() error { return FillLabels(ds, []int{-1}, make([]int, 1)) }, "index -1"},
		{"empty shape", func() error { return FillInputs(plain{n: 1}, []int{0}, nil) }, "empty input shape"},
		{"zero shape", func() error { return FillInputs(plain{n: 1, shape: []int{3, 0}}, []int{0}, nil) }, "[3 0]"},
		{"overflowing shape", func() error {
			return FillInputs(plain{n: 1, shape: []int{1 << 40, 1 << 40}}, []int{0}, nil)
		}, "not a positive size"},
		{"one-hot short", func() error { return FillOneHot(ds, []int{0}, make([]float32, 2)) }, "one-hot labels holds 2 values, want 1 samples x 3"},
		{"one-hot bad label", func() error { return FillOneHot(badLabel, []int{0, 1}, make([]float32, 6)) }, "sample 1 has label 3, want 0 to 2"},
		{"labels short", func() error { return FillLabels(ds, []int{0, 1}, make([]int, 1)) }, "labels holds 1 values"},
		{"targets short", func() error { return FillTargets(line{n: 3}, []int{0}, make([]float32, 2)) }, "targets holds 2 values, want 1 samples x 3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.fill()
			if err == nil || !strings.HasPrefix(err.Error(), "loader: ") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestFillInputsDoesNotAllocate(t *testing.T) {
	ds := newImages(256, 784, 10)
	batch := []int{3, 200, 17, 0, 255}
	dst := make([]float32, len(batch)*784)
	allocs := testing.AllocsPerRun(20, func() {
		if err := FillInputs(ds, batch, dst); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("FillInputs made %g allocations per call, want 0", allocs)
	}
}

func TestSubset(t *testing.T) {
	ds := newImages(10, 2, 5)
	indices := []int{9, 3, 3, 0}
	sub, err := Subset(ds, indices)
	if err != nil {
		t.Fatal(err)
	}
	indices[0] = 1 // the view keeps its own copy
	c, ok := sub.(Classified)
	if !ok {
		t.Fatalf("subset of a Classified dataset is a %T", sub)
	}
	if _, ok := sub.(Regression); ok {
		t.Error("subset of a Classified dataset claims to be a Regression")
	}
	if c.Len() != 4 || c.Classes() != 5 || !slices.Equal(c.InputShape(), []int{2}) {
		t.Errorf("subset: len %d, classes %d, shape %v", c.Len(), c.Classes(), c.InputShape())
	}
	for k, i := range []int{9, 3, 3, 0} {
		got, want := make([]float32, 2), make([]float32, 2)
		sub.Input(k, got)
		ds.Input(i, want)
		if !slices.Equal(got, want) || c.Label(k) != ds.Label(i) {
			t.Errorf("subset sample %d: input %v label %d, want %v label %d", k, got, c.Label(k), want, ds.Label(i))
		}
	}

	// A subset of a subset reads the base dataset directly.
	sub2, err := Subset(sub, []int{3, 0})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := unwrap(sub2); v == nil || v.base != Dataset(ds) || !slices.Equal(v.indices, []int{0, 9}) {
		t.Errorf("nested subset is %+v, want indices [0 9] into the base", v)
	}
	if sub2.(Classified).Label(1) != ds.Label(9) {
		t.Error("nested subset label")
	}

	kinds := []struct {
		name                   string
		ds                     Dataset
		classified, regression bool
	}{
		{"plain", plain{n: 3, shape: []int{1}}, false, false},
		{"regression", line{n: 3}, false, true},
		{"both", labelledLine{line{n: 3}}, true, true},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			sub, err := Subset(k.ds, []int{2, 1})
			if err != nil {
				t.Fatal(err)
			}
			c, isC := sub.(Classified)
			r, isR := sub.(Regression)
			if isC != k.classified || isR != k.regression {
				t.Fatalf("subset is Classified %v, Regression %v", isC, isR)
			}
			if isR {
				dst := make([]float32, 3)
				r.Target(0, dst)
				if r.TargetSize() != 3 || dst[0] != 4 {
					t.Errorf("target of subset sample 0 = %v, want sample 2's", dst)
				}
			}
			if isC && (c.Label(0) != 0 || c.Label(1) != 1 || c.Classes() != 2) {
				t.Errorf("labels %d %d", c.Label(0), c.Label(1))
			}
		})
	}

	for _, bad := range [][]int{{10}, {-1}, {0, 11}} {
		if _, err := Subset(ds, bad); err == nil || !strings.Contains(err.Error(), "out of range") {
			t.Errorf("Subset(%v): error %v", bad, err)
		}
	}
	if _, err := Subset(nil, nil); err == nil {
		t.Error("Subset(nil) succeeded")
	}
}

func TestSplit(t *testing.T) {
	ds := newImages(20, 1, 10)
	for _, c := range []struct {
		n    int
		seed uint64
	}{{0, 0}, {5, 0}, {20, 0}, {5, 1}, {13, 2}} {
		var rng *rand.Rand
		if c.seed != 0 {
			rng = rand.New(rand.NewPCG(c.seed, 0))
		}
		first, rest, err := Split(ds, c.n, rng)
		if err != nil {
			t.Fatal(err)
		}
		if first.Len() != c.n || rest.Len() != 20-c.n {
			t.Fatalf("Split(%d): sizes %d and %d", c.n, first.Len(), rest.Len())
		}
		a, _ := unwrap(first)
		b, _ := unwrap(rest)
		all := slices.Sorted(slices.Values(slices.Concat(a.indices, b.indices)))
		for i, v := range all {
			if v != i {
				t.Fatalf("Split(%d): samples %v, want each of 0..19 once", c.n, all)
			}
		}
		if c.seed == 0 && !slices.IsSorted(a.indices) {
			t.Errorf("Split(%d, nil) shuffled", c.n)
		}
		if c.seed != 0 && slices.IsSorted(slices.Concat(a.indices, b.indices)) {
			t.Errorf("Split(%d, rng) did not shuffle", c.n)
		}
		if _, ok := first.(Classified); !ok {
			t.Error("split lost Classified")
		}
	}
	for _, n := range []int{-1, 21} {
		if _, _, err := Split(ds, n, nil); err == nil {
			t.Errorf("Split(%d) succeeded", n)
		}
	}
	if _, _, err := Split(nil, 0, nil); err == nil {
		t.Error("Split(nil) succeeded")
	}
}

func BenchmarkFillInputs(b *testing.B) {
	ds := newImages(1024, 28*28, 10)
	for _, batch := range []int{1, 64, 256} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			batches, err := Epoch(ds.Len(), batch, rand.New(rand.NewPCG(1, 2)))
			if err != nil {
				b.Fatal(err)
			}
			dst := make([]float32, batch*28*28)
			b.ReportAllocs()
			b.ResetTimer()
			for k := range b.N {
				indices := batches[k%len(batches)] // 1024 samples: no short batch
				if err := FillInputs(ds, indices, dst); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}
