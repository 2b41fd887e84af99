package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// A short gozoo bench -json run prints one JSON object with positive rates
// and the machine's description, and nothing on stderr.
func TestBenchJSON(t *testing.T) {
	stdout, stderr, code := runGozoo(t, "bench", "-model", "mlp", "-steps", "2", "-infer-batch", "64", "-latency-runs", "3", "-json")
	if code != 0 || stderr != "" {
		t.Fatalf("status %d, stderr %q", code, stderr)
	}
	var rep map[string]any
	dec := json.NewDecoder(strings.NewReader(stdout))
	if err := dec.Decode(&rep); err != nil || dec.More() {
		t.Fatalf("stdout %q is not one JSON object: %v", stdout, err)
	}
	for _, key := range []string{"train_samples_per_sec", "train_step_ms", "infer_samples_per_sec", "latency_us_median", "latency_us_p99", "allocs_per_step", "gomaxprocs"} {
		if v, ok := rep[key].(float64); !ok || !(v > 0) {
			t.Errorf("%s = %v, want a positive number", key, rep[key])
		}
	}
	want := map[string]any{"model": "mlp", "data": "mnist", "batch": 64.0, "steps": 2.0, "infer_batch": 64.0, "latency_runs": 3.0}
	for key, v := range want {
		if rep[key] != v {
			t.Errorf("%s = %v, want %v", key, rep[key], v)
		}
	}
	for _, key := range []string{"go_version", "blas", "gemm_kernel"} {
		if s, _ := rep[key].(string); s == "" {
			t.Errorf("%s is empty", key)
		}
	}
	if _, ok := rep["cpu_features"].([]any); !ok {
		t.Errorf("cpu_features = %v, want a list", rep["cpu_features"])
	}
}
