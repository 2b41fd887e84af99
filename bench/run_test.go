package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

// tiny is a run that takes well under a second on MNIST.
var tiny = Options{Steps: 3, InferBatch: 64, InferBatches: 2, LatencyRuns: 5}

func TestRunReportsEveryFigure(t *testing.T) {
	for _, tc := range []struct {
		model, data string
		opts        Options
	}{
		{"mlp-paddle", DataMNIST, tiny}, // an alias: the report names the preset
		{"lenet5", DataMNIST, tiny},
		// VGG is slow in pure Go: the smallest batches.
		{"cifar-vgg", DataSynthetic, Options{Batch: 2, Steps: 1, InferBatch: 2, InferBatches: 1, LatencyRuns: 2}},
	} {
		t.Run(tc.model, func(t *testing.T) {
			opts := tc.opts
			opts.Model = tc.model
			rep, err := Run(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			name := strings.TrimSuffix(tc.model, "-paddle")
			if rep.Model != name || rep.Data != tc.data {
				t.Errorf("model %q, data %q; want %q, %q", rep.Model, rep.Data, name, tc.data)
			}
			full := opts.withDefaults()
			if rep.Batch != full.Batch || rep.Steps != full.Steps || rep.InferBatch != full.InferBatch || rep.InferBatches != max(full.InferBatches, 1) || rep.LatencyRuns != full.LatencyRuns {
				t.Errorf("report %+v does not echo the options %+v", rep, full)
			}
			for what, v := range map[string]float64{
				"train samples/s": rep.TrainSamplesPerSec, "train step ms": rep.TrainStepMs, "allocs per step": rep.AllocsPerStep,
				"bytes per step": rep.BytesPerStep, "infer samples/s": rep.InferSamplesPerSec,
				"latency median": rep.LatencyUsMedian, "latency p99": rep.LatencyUsP99,
			} {
				if !(v > 0) || math.IsInf(v, 0) {
					t.Errorf("%s = %v, want a positive number", what, v)
				}
			}
			if got := float64(rep.Batch) / rep.TrainSamplesPerSec * 1e3; math.Abs(got-rep.TrainStepMs) > 1e-9*got {
				t.Errorf("%v ms/step does not match %v samples/s of batch %d", rep.TrainStepMs, rep.TrainSamplesPerSec, rep.Batch)
			}
			if rep.LatencyUsP99 < rep.LatencyUsMedian {
				t.Errorf("p99 %v below the median %v", rep.LatencyUsP99, rep.LatencyUsMedian)
			}
			if !strings.HasPrefix(rep.GoVersion, "go") || rep.GOMAXPROCS < 1 || rep.BLAS == "" || rep.GemmKernel == "" || rep.CPUFeatures == nil {
				t.Errorf("machine fields: %+v", rep)
			}
			if s := rep.String(); !strings.Contains(s, name+" (") || !strings.Contains(s, "samples/s") || (tc.data == DataSynthetic) != strings.Contains(s, "synthetic") {
				t.Errorf("String() =\n%s", s)
			}
		})
	}
}

// The JSON keys are the ones scripts/bench_peers.sh reads.
func TestReportJSON(t *testing.T) {
	data, err := json.Marshal(&Report{CPUFeatures: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"allocs_per_step", "batch", "blas", "bytes_per_step", "cpu", "cpu_features", "data", "gemm_kernel",
		"go_version", "gomaxprocs", "infer_batch", "infer_batches", "infer_samples_per_sec", "latency_runs", "latency_us_median",
		"latency_us_p99", "model", "steps", "train_samples_per_sec", "train_step_ms"}
	if !slices.Equal(keys, want) {
		t.Errorf("JSON keys\n%v\nwant\n%v", keys, want)
	}
}

func TestRunErrors(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		opts Options
		want string
	}{
		{"unknown model", context.Background(), Options{Model: "resnet"}, `zoo: unknown model "resnet" (want mlp, mlp-paddle`},
		{"negative batch", context.Background(), Options{Batch: -1}, "bench: batch must be in 1..65536 (0: the default), got -1"},
		{"huge infer batch", context.Background(), Options{InferBatch: MaxBatch + 1}, "bench: infer batch must be in 1..65536"},
		{"negative steps", context.Background(), Options{Steps: -5}, "bench: steps must be in 1..1048576"},
		{"negative infer batches", context.Background(), Options{InferBatches: -1}, "bench: infer batches must be in"},
		{"too many latency runs", context.Background(), Options{LatencyRuns: MaxLatencyRuns + 1}, "bench: latency runs must be in"},
		{"batch above the data", context.Background(), Options{Model: "mlp", Batch: 60001}, "bench: batch 60001 is larger than the 60000 training samples"},
		{"missing data", context.Background(), Options{DataDir: "/nonexistent/mnist"}, "/nonexistent/mnist"},
		{"no context", nil, tiny, "bench: Run needs a context"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Run(tc.ctx, tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	if _, err := Run(cancelled, tiny); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled run returned %v", err)
	}
}

// Expected values from numpy.percentile (linear interpolation).
func TestPercentile(t *testing.T) {
	tests := []struct {
		values []float64
		q      float64
		want   float64
	}{
		{[]float64{7}, 50, 7},
		{[]float64{1, 2, 3, 4}, 50, 2.5},        // np.percentile([1,2,3,4], 50)
		{[]float64{1, 2, 3, 4, 5}, 50, 3},       // np.median
		{[]float64{1, 2, 3, 4, 100}, 99, 96.16}, // np.percentile([1,2,3,4,100], 99)
		{[]float64{1, 2, 3, 4, 100}, 100, 100},
		{[]float64{1, 2, 3, 4, 100}, 0, 1},
	}
	for _, tc := range tests {
		if got := percentile(tc.values, tc.q); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("percentile(%v, %v) = %v, want %v", tc.values, tc.q, got, tc.want)
		}
	}
}

func TestModelName(t *testing.T) {
	for _, tc := range []struct{ cpuinfo, want string }{
		{"processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 9R14 96-Core Processor\nmodel name\t: other\n", "AMD EPYC 9R14 96-Core Processor"},
		{"processor\t: 0\nBogoMIPS\t: 50.00\n", ""}, // arm64 lists no model name
		{"", ""},
	} {
		if got := modelName(bufio.NewScanner(strings.NewReader(tc.cpuinfo))); got != tc.want {
			t.Errorf("modelName(%q) = %q, want %q", tc.cpuinfo, got, tc.want)
		}
	}
}
