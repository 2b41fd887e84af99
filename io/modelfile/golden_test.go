package modelfile_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/gozoo/gozoo/io/modelfile"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGoldenFiles keeps one committed file per format version: an old file
// must always load, and the writer for the current version must produce the
// committed bytes exactly (its output is deterministic).
func TestGoldenFiles(t *testing.T) {
	tests := []struct {
		name    string
		version int
	}{
		{"format_v1.safetensors", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join("testdata", tc.name)
			current := tc.version == modelfile.FormatVersion
			if *update && current {
				if err := modelfile.WriteFileAtomic(path, sample()); err != nil {
					t.Fatal(err)
				}
			}
			got, err := modelfile.ReadFile(path)
			if err != nil {
				t.Fatalf("golden file no longer loads: %v", err)
			}
			checkTensors(t, got.Tensors, sample().Tensors)
			if got.Metadata["kind"] != "mlp" {
				t.Errorf("metadata %v lacks kind=mlp", got.Metadata)
			}
			if !current {
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if b := encode(t, sample()); !bytes.Equal(b, want) {
				t.Errorf("Write output differs from %s (run with -update if the change is intended):\n got %q\nwant %q", path, b, want)
			}
		})
	}
}
