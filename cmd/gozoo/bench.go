package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gozoo/gozoo/bench"
	"github.com/gozoo/gozoo/zoo"
)

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", stderr)
	var o bench.Options
	fs.StringVar(&o.Model, "model", bench.DefaultModel, "preset to measure: "+strings.Join(zoo.PresetNames(), ", ")+" (cifar-vgg on synthetic images, no download)")
	fs.IntVar(&o.Batch, "batch", bench.DefaultBatch, "training batch size")
	fs.IntVar(&o.Steps, "steps", bench.DefaultSteps, "training steps timed, after a few warm-up steps")
	fs.IntVar(&o.InferBatch, "infer-batch", bench.DefaultInferBatch, "inference batch size")
	fs.IntVar(&o.LatencyRuns, "latency-runs", bench.DefaultLatencyRuns, "single-image predictions timed, after warm-up")
	fs.StringVar(&o.DataDir, "data", "", "MNIST folder (default: the copy in the Go module cache)")
	asJSON := fs.Bool("json", false, "print the report as one JSON object")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if _, err := zoo.PresetNamed(o.Model); err != nil {
		return fmt.Errorf("unknown -model %q (want %s)", o.Model, strings.Join(zoo.PresetNames(), ", "))
	}
	for _, f := range []struct {
		name   string
		v, max int
	}{
		{"batch", o.Batch, bench.MaxBatch}, {"steps", o.Steps, bench.MaxSteps},
		{"infer-batch", o.InferBatch, bench.MaxBatch}, {"latency-runs", o.LatencyRuns, bench.MaxLatencyRuns},
	} {
		if f.v < 1 || f.v > f.max {
			return fmt.Errorf("-%s must be between 1 and %d, got %d", f.name, f.max, f.v)
		}
	}
	rep, err := bench.Run(ctx, o)
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return &exitError{code: 130, err: errors.New("interrupted")}
	}
	if err != nil {
		return err
	}
	return printResult(stdout, *asJSON, rep)
}
