//go:build unix

package modelfile_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/gozoo/gozoo/io/modelfile"
)

// A temporary file that a live save holds locked survives other saves in
// the folder, however old it looks.
func TestLiveTempFileKept(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, ".big.safetensors.tmp-31337")
	f, err := os.Create(live)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Skipf("no file locks here: %v", err)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(live, old, old); err != nil {
		t.Fatal(err)
	}
	if err := modelfile.WriteFileAtomic(filepath.Join(dir, "model.safetensors"), sample()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("a live save's temporary file was removed: %v", err)
	}
}
