package modelfile_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gozoo/gozoo/io/modelfile"
)

// crashTargetEnv makes TestHelperProcess save to the path it names, forever.
const crashTargetEnv = "GOZOO_MODELFILE_CRASH_TARGET"

// tempFiles lists the temporary files WriteFileAtomic leaves for target.
func tempFiles(t *testing.T, target string) []string {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(filepath.Dir(target), "."+filepath.Base(target)+".tmp-*"))
	if err != nil {
		t.Fatal(err)
	}
	return matches
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "model.safetensors")
	if err := modelfile.WriteFileAtomic(target, sample()); err != nil {
		t.Fatalf("first save: %v", err)
	}
	if err := os.Chmod(target, 0o600); err != nil {
		t.Fatal(err)
	}
	second := &modelfile.File{Tensors: []modelfile.Tensor{{Name: "w", Shape: []int{2}, Data: []float32{4, 5}}}}
	if err := modelfile.WriteFileAtomic(target, second); err != nil {
		t.Fatalf("second save: %v", err)
	}
	got, err := modelfile.ReadFile(target)
	if err != nil {
		t.Fatal(err)
	}
	checkTensors(t, got.Tensors, second.Tensors)
	if info, err := os.Stat(target); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("mode after overwrite: %v, %v; want 0600 kept", info.Mode(), err)
	}
	if left := tempFiles(t, target); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestWriteFileAtomicFailureKeepsTarget(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "model.safetensors")
	if err := modelfile.WriteFileAtomic(target, sample()); err != nil {
		t.Fatal(err)
	}
	bad := &modelfile.File{Tensors: []modelfile.Tensor{{Name: "w", Shape: []int{3}, Data: []float32{1}}}}
	if err := modelfile.WriteFileAtomic(target, bad); err == nil {
		t.Fatal("save of an invalid file succeeded")
	}
	got, err := modelfile.ReadFile(target)
	if err != nil {
		t.Fatalf("previous file no longer loads: %v", err)
	}
	checkTensors(t, got.Tensors, sample().Tensors)
	if left := tempFiles(t, target); len(left) != 0 {
		t.Errorf("temporary files left after a failed save: %v", left)
	}
	if err := modelfile.WriteFileAtomic(filepath.Join(dir, "missing", "m.safetensors"), sample()); err == nil {
		t.Error("save into a missing folder succeeded")
	}
}

// A save removes the temporary files that dead saves left in its folder
// (unlocked, modified before it began) and keeps everything else: a fresh
// one, another program's file, and a live save's (TestLiveTempFileKept).
func TestStrayTempFiles(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "model.safetensors")
	old := time.Now().Add(-time.Hour)
	write := func(name string, mtime time.Time) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte("half a file"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		return path
	}
	stale := []string{write(".model.safetensors.tmp-123", old), write(".checkpoint.safetensors.tmp-9", old), write(".history.json.tmp-42", old)}
	kept := []string{
		write(".model.safetensors.tmp-77", time.Now().Add(time.Hour)), // modified after the save began
		write(".notes.tmp-x1", old),                                   // not DIGITS: not a gozoo temporary file
		write("model.safetensors.tmp-5", old),                         // no leading dot
		write(".tmp-5", old),
	}
	if _, err := modelfile.ReadFile(stale[0]); !errors.Is(err, modelfile.ErrCorrupt) {
		t.Errorf("reading a stray file: %v, want ErrCorrupt", err)
	}
	if err := modelfile.WriteFileAtomic(target, sample()); err != nil {
		t.Fatalf("save beside stray temp files: %v", err)
	}
	got, err := modelfile.ReadFile(target)
	if err != nil {
		t.Fatal(err)
	}
	checkTensors(t, got.Tensors, sample().Tensors)
	for _, p := range stale {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: stale temporary file not removed (%v)", filepath.Base(p), err)
		}
	}
	for _, p := range kept {
		if b, err := os.ReadFile(p); err != nil || string(b) != "half a file" {
			t.Errorf("%s changed: %q, %v", filepath.Base(p), b, err)
		}
	}
}

// TestKilledMidSave kills a process while it saves a 200 MB file and checks
// that the previous file still loads, checksum and all. A writer that
// truncates the target in place fails here.
func TestKilledMidSave(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 200 MB")
	}
	dir := t.TempDir()
	target := filepath.Join(dir, "model.safetensors")
	earlier := sample()
	if err := modelfile.WriteFileAtomic(target, earlier); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), crashTargetEnv+"="+target)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for !partialTempFile(t, target) {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("no partly written temporary file appeared; child stderr: %s", stderr.String())
		}
		time.Sleep(time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no deferred cleanup runs
		t.Fatal(err)
	}
	_ = cmd.Wait() // "signal: killed" is the expected outcome
	got, err := modelfile.ReadFile(target)
	if err != nil {
		t.Fatalf("previous file no longer loads after the kill: %v", err)
	}
	checkTensors(t, got.Tensors, earlier.Tensors)
	if len(tempFiles(t, target)) == 0 {
		t.Error("the killed save left no temporary file: was it killed mid-save?")
	}
	if err := modelfile.WriteFileAtomic(target, earlier); err != nil {
		t.Errorf("save after the crash: %v", err)
	}
	if left := tempFiles(t, target); len(left) != 0 {
		t.Errorf("the save after the crash left the killed save's temporary files: %v", left)
	}
}

// partialTempFile reports whether a temporary file for target holds data,
// i.e. the child is past hashing and in the middle of writing.
func partialTempFile(t *testing.T, target string) bool {
	for _, name := range tempFiles(t, target) {
		if info, err := os.Stat(name); err == nil && info.Size() > 1<<20 {
			return true
		}
	}
	return false
}

// TestHelperProcess is the child of TestKilledMidSave, not a test: it saves
// 200 MB to the target in a loop until it is killed.
func TestHelperProcess(t *testing.T) {
	target := os.Getenv(crashTargetEnv)
	if target == "" {
		t.Skip("helper process for TestKilledMidSave")
	}
	const perTensor = 5 << 20 // values: 10 tensors of 20 MiB
	big := &modelfile.File{Metadata: map[string]string{"kind": "crash-test"}}
	for i := range 10 {
		data := make([]float32, perTensor)
		for j := range data {
			data[j] = float32(i + j)
		}
		big.Tensors = append(big.Tensors, modelfile.Tensor{Name: "t" + string(rune('a'+i)), Shape: []int{perTensor}, Data: data})
	}
	for {
		if err := modelfile.WriteFileAtomic(target, big); err != nil {
			t.Fatal(err)
		}
	}
}

// ReadMetadata reads a file's metadata from the header alone and refuses a
// broken header as Read does.
func TestReadMetadata(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	f := sample()
	f.Metadata = map[string]string{"epoch": "3"}
	if err := modelfile.WriteFileAtomic(path, f); err != nil {
		t.Fatal(err)
	}
	meta, err := modelfile.ReadMetadata(path)
	if err != nil || meta["epoch"] != "3" || meta[modelfile.KeyChecksum] == "" {
		t.Fatalf("metadata %v, %v", meta, err)
	}
	bad := filepath.Join(dir, "bad.safetensors")
	if err := os.WriteFile(bad, []byte("\xff\xff\xff\xff\xff\xff\xff\x7fnot a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := modelfile.ReadMetadata(bad); !errors.Is(err, modelfile.ErrCorrupt) {
		t.Errorf("broken header: %v, want ErrCorrupt", err)
	}
	if _, err := modelfile.ReadMetadata(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing file has metadata")
	}
}
