package recipes

import (
	"context"
	"errors"
	"sync"
	"testing"
)

// gate is a dataset that blocks the first time Fit reads a sample, until
// released, so that other goroutines can call the trainer mid-step.
type gate struct {
	*blobs
	once            sync.Once
	reached, resume chan struct{}
}

func (g *gate) Input(i int, dst []float32) {
	g.once.Do(func() {
		close(g.reached)
		<-g.resume
	})
	g.blobs.Input(i, dst)
}

// While Fit runs a step, every other call on the trainer from another
// goroutine is ErrInUse; afterwards the trainer works again.
func TestTrainerInUse(t *testing.T) {
	tr := newTestTrainer(t, 1)
	data := newBlobs(64, 1)
	g := &gate{blobs: data, reached: make(chan struct{}), resume: make(chan struct{})}
	done := make(chan error)
	go func() {
		_, err := tr.Fit(context.Background(), g, FitOptions{Epochs: 1, BatchSize: 8})
		done <- err
	}()
	<-g.reached
	ctx := context.Background()
	calls := map[string]func() error{
		"Fit":      func() error { _, err := tr.Fit(ctx, data, FitOptions{Epochs: 2, BatchSize: 8}); return err },
		"Evaluate": func() error { _, err := tr.Evaluate(ctx, data, 8); return err },
		"Predict":  func() error { _, err := tr.Predict(ctx, data, 8); return err },
		"Close":    tr.Close,
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, ErrInUse) {
			t.Errorf("%s during Fit: %v, want ErrInUse", name, err)
		}
	}
	close(g.resume)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for name, call := range calls {
		if err := call(); err != nil {
			t.Errorf("%s after Fit: %v", name, err)
		}
	}
}

// Many goroutines calling one trainer at once: each call succeeds or is
// ErrInUse, and nothing panics or races (run with -race in CI).
func TestTrainerConcurrentCallsDoNotCrash(t *testing.T) {
	tr := newTestTrainer(t, 2)
	data := newBlobs(48, 2)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 4 {
				var err error
				switch (i + j) % 3 {
				case 0:
					_, err = tr.Fit(ctx, data, FitOptions{Epochs: 20, BatchSize: 8, Callbacks: []Callback{&evaluator{ds: data}}})
				case 1:
					_, err = tr.Evaluate(ctx, data, 16)
				default:
					_, err = tr.Predict(ctx, data, 16)
				}
				if err != nil && !errors.Is(err, ErrInUse) {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
