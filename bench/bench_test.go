package bench

import (
	"context"
	"fmt"
	"testing"
)

// newBenchWorkload builds a preset's workload on MNIST with training
// batches of 64, or stops the benchmark.
func newBenchWorkload(b *testing.B, model string) *workload {
	b.Helper()
	w, err := newWorkload(model, DefaultBatch, "")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(w.close)
	return w
}

// BenchmarkTrainStep measures one optimizer step (TrainOnBatch) of 64 real
// MNIST images: one b.N is one step.
func BenchmarkTrainStep(b *testing.B) {
	for _, model := range []string{"mlp", "lenet5"} {
		w := newBenchWorkload(b, model)
		if _, err := w.step(); err != nil { // compiles the program
			b.Fatal(err)
		}
		b.Run(model, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := w.step(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*w.batch)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}

// BenchmarkPredict measures the seed MLP's inference through a
// predict.Predictor on MNIST test images: one b.N is one Predict call of
// a batch. (Untrained weights: the speed does not depend on them.)
func BenchmarkPredict(b *testing.B) {
	w := newBenchWorkload(b, "mlp")
	p, err := w.predictor(DefaultInferBatch)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close() })
	ctx := context.Background()
	for _, batch := range []int{1, DefaultInferBatch} {
		x, err := w.fill(0, batch)
		if err != nil {
			b.Fatal(err)
		}
		x = append([]float32(nil), x...)             // w.fill reuses its buffer
		if _, err := p.Predict(ctx, x); err != nil { // compiles the program
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Predict(ctx, x); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}
