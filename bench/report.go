package bench

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strings"

	"golang.org/x/sys/cpu"

	"github.com/gozoo/gozoo/backend"
)

// Report.Data values.
const (
	DataMNIST     = "mnist"     // the real MNIST images
	DataSynthetic = "synthetic" // random images of the model's input shape, generated in memory
)

// Report holds Run's figures and what they depend on.
type Report struct {
	// Model is the preset's name; Data is DataMNIST or DataSynthetic.
	Model string `json:"model"`
	Data  string `json:"data"`

	// Training: Steps timed steps of Batch samples.
	Batch              int     `json:"batch"`
	Steps              int     `json:"steps"`
	TrainSamplesPerSec float64 `json:"train_samples_per_sec"`
	TrainStepMs        float64 `json:"train_step_ms"`
	// AllocsPerStep and BytesPerStep are heap allocations per step
	// (runtime.MemStats' Mallocs and TotalAlloc over the timed steps).
	AllocsPerStep float64 `json:"allocs_per_step"`
	BytesPerStep  float64 `json:"bytes_per_step"`

	// Inference: InferBatches timed batches of InferBatch test images.
	InferBatch         int     `json:"infer_batch"`
	InferBatches       int     `json:"infer_batches"`
	InferSamplesPerSec float64 `json:"infer_samples_per_sec"`
	// Latency of one image per Predict call, over LatencyRuns calls, in
	// microseconds.
	LatencyRuns     int     `json:"latency_runs"`
	LatencyUsMedian float64 `json:"latency_us_median"`
	LatencyUsP99    float64 `json:"latency_us_p99"`

	// The machine and build.
	GoVersion  string `json:"go_version"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	// CPU is the processor's model name (from /proc/cpuinfo; "" where it
	// is not known); CPUFeatures lists which of sse4.1, avx, avx2, fma and
	// avx512f it has.
	CPU         string   `json:"cpu"`
	CPUFeatures []string `json:"cpu_features"`
	// BLAS is backend.Name(); GemmKernel backend.Kernel().
	BLAS       string `json:"blas"`
	GemmKernel string `json:"gemm_kernel"`
}

// describeMachine fills the machine and build fields.
func (r *Report) describeMachine() {
	r.GoVersion = runtime.Version()
	r.GOMAXPROCS = runtime.GOMAXPROCS(0)
	r.CPU = cpuModel()
	r.CPUFeatures = cpuFeatures()
	r.BLAS = backend.Name()
	r.GemmKernel = backend.Kernel()
}

// String returns the report as a short block of text.
func (r *Report) String() string {
	var b strings.Builder
	data := "MNIST images"
	if r.Data == DataSynthetic {
		data = "synthetic random images, no download"
	}
	fmt.Fprintf(&b, "model      %s (%s)\n", r.Model, data)
	fmt.Fprintf(&b, "train      %.0f samples/s, %.3f ms/step (batch %d, %d steps); %.0f allocs, %.0f bytes per step\n",
		r.TrainSamplesPerSec, r.TrainStepMs, r.Batch, r.Steps, r.AllocsPerStep, r.BytesPerStep)
	fmt.Fprintf(&b, "infer      %.0f samples/s (batch %d, %d batches)\n", r.InferSamplesPerSec, r.InferBatch, r.InferBatches)
	fmt.Fprintf(&b, "latency    median %.1f us, p99 %.1f us (batch 1, %d runs)\n", r.LatencyUsMedian, r.LatencyUsP99, r.LatencyRuns)
	cpuName := r.CPU
	if cpuName == "" {
		cpuName = "unknown CPU"
	}
	fmt.Fprintf(&b, "machine    %s, GOMAXPROCS %d, %s [%s]\n", r.GoVersion, r.GOMAXPROCS, cpuName, strings.Join(r.CPUFeatures, " "))
	fmt.Fprintf(&b, "blas       %s, gemm kernel %s\n", r.BLAS, r.GemmKernel)
	return b.String()
}

// cpuModel returns the first "model name" of /proc/cpuinfo on Linux, or "".
func cpuModel() string {
	if runtime.GOOS != "linux" {
		return ""
	}
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	return modelName(bufio.NewScanner(f))
}

// modelName returns the value of the first "model name" line of a
// /proc/cpuinfo listing.
func modelName(sc *bufio.Scanner) string {
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(key) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return ""
}

// cpuFeatures lists the vector extensions that matter to matrix kernels
// which the CPU has, in a fixed order; none on other architectures than
// x86.
func cpuFeatures() []string {
	features := []string{}
	for _, f := range []struct {
		name string
		has  bool
	}{
		{"sse4.1", cpu.X86.HasSSE41}, {"avx", cpu.X86.HasAVX}, {"avx2", cpu.X86.HasAVX2},
		{"fma", cpu.X86.HasFMA}, {"avx512f", cpu.X86.HasAVX512F},
	} {
		if f.has {
			features = append(features, f.name)
		}
	}
	return features
}
