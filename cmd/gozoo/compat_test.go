package main

import (
	"encoding/json"
	"image"
	"image/color"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/zoo"
	"github.com/gozoo/gozoo/zoo/cnn"
)

// Model files written by the previous gozoo (testdata/v1, see its README)
// evaluate to exactly the figures that version printed, with the BLAS it
// used (gonum's); gozoo's own kernels round differently in the last bits.
func TestVersion1FilesEvaluateTheSame(t *testing.T) {
	for _, name := range []string{"iris", "diabetes"} {
		t.Run(name, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("testdata", "v1", name+"-eval.json"))
			if err != nil {
				t.Fatal(err)
			}
			got, stderr, code := runGozooEnv(t, []string{"GOZOO_BLAS=gonum"}, "eval", "-json", "-model", filepath.Join("testdata", "v1", name+".safetensors"))
			if code != 0 {
				t.Fatalf("eval: status %d: %s", code, stderr)
			}
			var a, b any
			if err := json.Unmarshal(want, &a); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(got), &b); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a, b) {
				t.Errorf("eval of a version-1 file:\n%s\nthat version printed:\n%s", got, want)
			}
		})
	}
}

// A version-1 checkpoint resumes, keeping its training options, and writes
// into its own folder.
func TestVersion1CheckpointResumes(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join("testdata", "v1", "iris-checkpoint.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	ck := filepath.Join(dir, "checkpoint.safetensors")
	if err := os.WriteFile(ck, data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runGozoo(t, "train", "-resume", ck, "-epochs", "32", "-quiet")
	if code != 0 {
		t.Fatalf("resume: status %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "model written to "+filepath.Join(dir, "model.safetensors")) {
		t.Errorf("stderr %q does not name the model in the checkpoint's folder", stderr)
	}
	var h struct {
		Epochs []struct {
			Epoch int `json:"epoch"`
		} `json:"epochs"`
	}
	raw, err := os.ReadFile(filepath.Join(dir, "history.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &h); err != nil || len(h.Epochs) == 0 || h.Epochs[len(h.Epochs)-1].Epoch != 32 {
		t.Errorf("history after resuming to epoch 32: %s (%v)", raw, err)
	}
}

// A model saved from Go with a card works with eval, predict and summary.
func TestModelSavedFromGo(t *testing.T) {
	m, err := cnn.NewLeNet5(cnn.LeNet5Config{}, rand.New(rand.NewPCG(4, 0)))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "lenet.safetensors")
	if err := zoo.Save(path, m, modelcard.MNIST([]int{1, 28, 28})); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := runGozoo(t, "eval", "-json", "-model", path)
	if code != 0 {
		t.Fatalf("eval: status %d: %s", code, stderr)
	}
	var ev struct {
		Samples  int      `json:"samples"`
		Accuracy *float64 `json:"accuracy"`
	}
	if err := json.Unmarshal([]byte(out), &ev); err != nil || ev.Samples != 10000 || ev.Accuracy == nil {
		t.Errorf("eval: %s (%v)", out, err)
	}
	img := image.NewGray(image.Rect(0, 0, 28, 28))
	img.SetGray(14, 14, color.Gray{Y: 255})
	png := filepath.Join(dir, "dot.png")
	writeImage(t, png, img)
	if out, stderr, code = runGozoo(t, "predict", "-json", "-model", path, png); code != 0 || !strings.Contains(out, `"class_name"`) {
		t.Errorf("predict: status %d: %s %s", code, out, stderr)
	}
	if out, stderr, code = runGozoo(t, "summary", "-model", path); code != 0 || !strings.Contains(out, "Total params: 61,706") {
		t.Errorf("summary: status %d: %s %s", code, out, stderr)
	}
	// Without a card eval and predict say what is missing.
	bare := filepath.Join(dir, "bare.safetensors")
	if err := zoo.Save(bare, m, nil); err != nil {
		t.Fatal(err)
	}
	checkOneLineError(t, []string{"eval", "-model", bare}, "has no model card")
	checkOneLineError(t, []string{"predict", "-model", bare, png}, "has no model card")
}
