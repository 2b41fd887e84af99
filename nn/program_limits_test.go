package nn

import (
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// A model with ten parameters but an absurd input (64 million pixels a
// sample) is refused at compile time for a batch whose graph would exceed
// MaxGraphValues, before the input or any node value is allocated.
func TestCompileBoundsTheGraph(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	conv, err := NewConv2D("conv", 1, 1, [2]int{3, 3}, [2]int{1, 1}, [2]int{1, 1}, true, GlorotUniform, rng)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := NewMaxPool2D("pool", [2]int{8192, 8192}, [2]int{8192, 8192}, [2]int{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewSequential([]int{1, 8192, 8192}, conv, pool, NewFlatten("flatten"))
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err = Compile(m, Training, 16, MSE{})
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "more than 1073741824 values") {
		t.Fatalf("compile: %v, want the graph-size error", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 50<<20 {
		t.Errorf("the refused compile allocated %d MB", grew>>20)
	}
	if _, err := Compile(nil, Training, 1, MSE{}); err == nil {
		t.Error("compiling no model succeeded")
	}
	if _, err := Compile(m, Training, 1, nil); err == nil {
		t.Error("a training program without a loss compiled")
	}
	if _, err := Compile(m, Mode(7), 1, nil); err == nil {
		t.Error("an unknown mode compiled")
	}
}

// Graphs of different models compile at once without racing: Gorgonia's
// operator groups are package state, so Compile serialises graph building
// (run with -race: CI does).
func TestConcurrentCompiles(t *testing.T) {
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, err := NewBuilder([]int{6}, rand.New(rand.NewPCG(uint64(i), 1))).Dense("d1", 5).ReLU("r").Dense("d2", 3).Build()
			if err != nil {
				errs <- err
				return
			}
			p, err := Compile(m, Training, 4, SoftmaxCrossEntropy{})
			if err != nil {
				errs <- err
				return
			}
			errs <- p.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}
