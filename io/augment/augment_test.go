package augment

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// grid is a test dataset of n images of shape [c h w] whose value at
// (image i, c, y, x) is 1 + 1000*i + 100*c + 10*y + x, so that every pixel
// is non-zero and tells where it came from.
type grid struct{ n, c, h, w int }

func (g grid) Len() int          { return g.n }
func (g grid) InputShape() []int { return []int{g.c, g.h, g.w} }
func (g grid) Classes() int      { return 3 }
func (g grid) Label(i int) int   { return i % 3 }
func (g grid) at(i, c, y, x int) float32 {
	return float32(1 + 1000*i + 100*c + 10*y + x)
}
func (g grid) Input(i int, dst []float32) {
	for c := range g.c {
		for y := range g.h {
			for x := range g.w {
				dst[(c*g.h+y)*g.w+x] = g.at(i, c, y, x)
			}
		}
	}
}

func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 7)) }

func wrap(t *testing.T, g grid, seed uint64, steps ...Step) *Dataset {
	t.Helper()
	ds, err := Wrap(g, newRNG(seed), steps...)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func input(ds interface{ Input(int, []float32) }, g grid, i int) []float32 {
	dst := make([]float32, g.c*g.h*g.w)
	ds.Input(i, dst)
	return dst
}

func TestFlip(t *testing.T) {
	g := grid{n: 2, c: 2, h: 3, w: 5}
	once := input(wrap(t, g, 1, HorizontalFlip{P: 1}), g, 1)
	for c := range g.c {
		for y := range g.h {
			for x := range g.w {
				if got, want := once[(c*g.h+y)*g.w+x], g.at(1, c, y, g.w-1-x); got != want {
					t.Fatalf("flipped (%d,%d,%d) = %v, want %v", c, y, x, got, want)
				}
			}
		}
	}
	twice := input(wrap(t, g, 1, HorizontalFlip{P: 1}, HorizontalFlip{P: 1}), g, 1)
	if !slices.Equal(twice, input(g, g, 1)) {
		t.Fatalf("flipping twice gives %v, want the original", twice)
	}
}

func TestFlipProbability(t *testing.T) {
	g := grid{n: 1, c: 1, h: 1, w: 2}
	tests := []struct {
		name     string
		p        float64
		min, max int // flips out of 1000
	}{
		{"default 0.5", 0, 450, 550},
		{"0.1", 0.1, 70, 130},
		{"1", 1, 1000, 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := wrap(t, g, 3, HorizontalFlip{P: tt.p})
			flips := 0
			for range 1000 {
				if input(ds, g, 0)[0] != g.at(0, 0, 0, 0) {
					flips++
				}
			}
			if flips < tt.min || flips > tt.max {
				t.Fatalf("%d flips in 1000, want %d to %d", flips, tt.min, tt.max)
			}
		})
	}
}

func TestCropPaddingZeroIsIdentity(t *testing.T) {
	g := grid{n: 3, c: 3, h: 4, w: 4}
	rng := newRNG(5)
	ds, err := Wrap(g, rng, RandomCrop{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range g.n {
		if got := input(ds, g, i); !slices.Equal(got, input(g, g, i)) {
			t.Fatalf("image %d changed: %v", i, got)
		}
	}
	if rng.Uint64() != newRNG(5).Uint64() {
		t.Error("padding 0 drew from the random source")
	}
}

func TestCropShiftsByDrawnOffset(t *testing.T) {
	const padding = 2
	g := grid{n: 4, c: 2, h: 5, w: 6}
	ds := wrap(t, g, 11, RandomCrop{Padding: padding})
	twin := newRNG(11) // replays the draws: top offset, then left offset
	seen := map[[2]int]bool{}
	for call := range 60 {
		i := call % g.n
		got := input(ds, g, i)
		dy := twin.IntN(2*padding+1) - padding
		dx := twin.IntN(2*padding+1) - padding
		seen[[2]int{dy, dx}] = true
		for c := range g.c {
			for y := range g.h {
				for x := range g.w {
					var want float32
					if sy, sx := y+dy, x+dx; sy >= 0 && sy < g.h && sx >= 0 && sx < g.w {
						want = g.at(i, c, sy, sx)
					}
					if v := got[(c*g.h+y)*g.w+x]; v != want {
						t.Fatalf("call %d, offset (%d,%d): pixel (%d,%d,%d) = %v, want %v", call, dy, dx, c, y, x, v, want)
					}
				}
			}
		}
	}
	if len(seen) < 20 { // of 25 possible offsets
		t.Errorf("only %d distinct offsets in 60 crops", len(seen))
	}
}

func TestShift(t *testing.T) {
	// Against a direct computation, for every offset including ones that
	// move the content out entirely.
	g := grid{n: 1, c: 2, h: 3, w: 4}
	for dy := -4; dy <= 4; dy++ {
		for dx := -5; dx <= 5; dx++ {
			img := input(g, g, 0)
			shift(img, g.c, g.h, g.w, dy, dx)
			for c := range g.c {
				for y := range g.h {
					for x := range g.w {
						var want float32
						if sy, sx := y+dy, x+dx; sy >= 0 && sy < g.h && sx >= 0 && sx < g.w {
							want = g.at(0, c, sy, sx)
						}
						if v := img[(c*g.h+y)*g.w+x]; v != want {
							t.Fatalf("shift (%d,%d): pixel (%d,%d,%d) = %v, want %v", dy, dx, c, y, x, v, want)
						}
					}
				}
			}
		}
	}
}

func TestDeterminism(t *testing.T) {
	g := grid{n: 5, c: 3, h: 8, w: 8}
	steps := []Step{RandomCrop{Padding: 3}, HorizontalFlip{}}
	run := func(seed uint64) [][]float32 {
		ds := wrap(t, g, seed, steps...)
		var out [][]float32
		for _, i := range []int{0, 4, 2, 2, 1, 3, 0} {
			out = append(out, input(ds, g, i))
		}
		return out
	}
	a, b, c := run(42), run(42), run(43)
	if !slices.EqualFunc(a, b, slices.Equal) {
		t.Fatal("same seed, same calls: different images")
	}
	if slices.EqualFunc(a, c, slices.Equal) {
		t.Fatal("seeds 42 and 43 gave the same images")
	}
}

func TestPassThrough(t *testing.T) {
	g := grid{n: 7, c: 3, h: 4, w: 6}
	ds := wrap(t, g, 1, RandomCrop{Padding: 1}, HorizontalFlip{P: 0.3})
	if ds.Len() != 7 || ds.Classes() != 3 || ds.Label(5) != 2 || !slices.Equal(ds.InputShape(), []int{3, 4, 6}) {
		t.Fatalf("Len %d Classes %d Label(5) %d InputShape %v", ds.Len(), ds.Classes(), ds.Label(5), ds.InputShape())
	}
	// Input writes exactly the image and leaves the rest of dst alone.
	dst := make([]float32, 3*4*6+1)
	dst[len(dst)-1] = -1
	ds.Input(6, dst)
	if dst[len(dst)-1] != -1 {
		t.Error("Input wrote past the image")
	}
}

func TestWrapErrors(t *testing.T) {
	g := grid{n: 1, c: 1, h: 2, w: 2}
	tests := []struct {
		name    string
		ds      grid
		rng     *rand.Rand
		steps   []Step
		setting bool // wraps ErrSetting
		want    string
	}{
		{"negative padding", g, newRNG(1), []Step{RandomCrop{Padding: -1}}, true, "padding -1"},
		{"P below 0", g, newRNG(1), []Step{HorizontalFlip{P: -0.1}}, true, "probability -0.1"},
		{"P above 1", g, newRNG(1), []Step{RandomCrop{}, HorizontalFlip{P: 1.5}}, true, "step 1"},
		{"P NaN", g, newRNG(1), []Step{HorizontalFlip{P: math.NaN()}}, true, "NaN"},
		{"nil step", g, newRNG(1), []Step{nil}, false, "step 0 is nil"},
		{"nil rng", g, nil, nil, false, "random source"},
		{"flat shape", grid{n: 1, c: 0, h: 2, w: 2}, newRNG(1), nil, false, "[0 2 2]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Wrap(tt.ds, tt.rng, tt.steps...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			if errors.Is(err, ErrSetting) != tt.setting {
				t.Errorf("errors.Is(err, ErrSetting) = %v, want %v", !tt.setting, tt.setting)
			}
		})
	}
	if _, err := Wrap(nil, newRNG(1)); err == nil {
		t.Error("Wrap(nil) accepted")
	}
}
