package recipes

import (
	"context"
	"runtime"
	"slices"
	"testing"
)

// heapProbe reads the live heap, after a collection, every `every` steps.
type heapProbe struct {
	BaseCallback
	every int64
	steps []int64
	heap  []uint64
}

func (h *heapProbe) OnBatchEnd(_ *Run, s BatchStats) error {
	if s.Step%h.every == 0 {
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		h.steps, h.heap = append(h.steps, s.Step), append(h.heap, m.HeapAlloc)
	}
	return nil
}

// 20,000 training steps (dense, BatchNorm, dropout, dense; with validation
// each epoch) keep the live heap flat: after a warm-up of 2,000 steps it
// never grows by more than 10%. A per-step leak of 64 bytes would add
// 1.1 MB, several times the margin; what growth there is (about 30 KB)
// is the history, one entry with its validation result per epoch. The
// live heap also swings by about 100 KB from one reading to the next,
// with no trend (sync.Pool's buffers, kept or dropped by a collection), so
// the lowest of the first three readings is compared with the lowest of
// the last three.
func TestLongRunHeapIsFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("20,000 training steps")
	}
	train, val := newBlobs(2000, 11), newBlobs(200, 12)
	tr := dropoutTrainer(t)
	probe := &heapProbe{every: 2000}
	// 2000 samples in batches of 8: 250 steps an epoch, 80 epochs.
	if _, err := tr.Fit(context.Background(), train, FitOptions{Epochs: 80, BatchSize: 8, Validation: val, Callbacks: []Callback{probe}}); err != nil {
		t.Fatal(err)
	}
	if tr.Step != 20000 || len(probe.heap) != 10 {
		t.Fatalf("%d steps, %d heap readings", tr.Step, len(probe.heap))
	}
	for i, h := range probe.heap {
		t.Logf("step %5d: live heap %7.1f KB", probe.steps[i], float64(h)/1024)
	}
	first, last := slices.Min(probe.heap[:3]), slices.Min(probe.heap[len(probe.heap)-3:])
	if float64(last) > 1.1*float64(first) {
		t.Errorf("live heap grew from %d bytes (lowest of steps 2000-6000) to %d (lowest of steps 16000-20000), %.1f%% more", first, last, 100*(float64(last)/float64(first)-1))
	}
}
