package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gozoo/gozoo/internal/testutil"
	"github.com/gozoo/gozoo/io/modelfile"
)

// binary is the gozoo command built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gozoo-cli-test")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "gozoo")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func gozooBinary(*testing.T) string { return binary }

// runGozoo runs the binary and returns stdout, stderr and the exit status.
func runGozoo(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return runGozooEnv(t, nil, args...)
}

// runGozooEnv is runGozoo with variables (KEY=value) added to the
// environment.
func runGozooEnv(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(gozooBinary(t), args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), code
}

// fakeMNIST writes a tiny valid MNIST folder of n train and n test images.
func fakeMNIST(t *testing.T, n int) string { return testutil.IDXFolder(t, n, n) }

func TestBadInputGivesOneLineAndStatus1(t *testing.T) {
	good := fakeMNIST(t, 20)
	truncated := fakeMNIST(t, 20)
	img := filepath.Join(truncated, "train-images-idx3-ubyte.gz")
	data, _ := os.ReadFile(img)
	os.WriteFile(img, data[:len(data)/2], 0o644)
	badMagic := fakeMNIST(t, 20)
	os.Remove(filepath.Join(badMagic, "t10k-labels-idx1-ubyte.gz"))
	os.WriteFile(filepath.Join(badMagic, "t10k-labels-idx1-ubyte"), []byte{0x50, 0x4b, 8, 1, 0, 0, 0, 20}, 0o644)
	corruptModel := filepath.Join(t.TempDir(), "m.safetensors")
	os.WriteFile(corruptModel, []byte("\xff\xff\xff\xff\xff\xff\xff\x7fnot a model"), 0o644)

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing data", []string{"train", "-data", "/nonexistent/mnist"}, "/nonexistent/mnist"},
		{"truncated data", []string{"train", "-data", truncated}, "truncated"},
		{"wrong idx magic", []string{"train", "-data", badMagic}, "magic"},
		{"zero batch", []string{"train", "-data", good, "-batch", "0"}, "-batch must be between 1 and 65536, got 0"},
		{"negative batch", []string{"train", "-data", good, "-batch", "-3"}, "-batch must be between"},
		{"absurd batch", []string{"train", "-data", good, "-batch", "1000000000000"}, "-batch must be between"},
		{"zero epochs", []string{"train", "-data", good, "-epochs", "0"}, "-epochs must be between 1 and 100000, got 0"},
		{"negative epochs", []string{"train", "-data", good, "-epochs", "-1"}, "-epochs must be between"},
		{"absurd epochs", []string{"train", "-data", good, "-epochs", "99999999999"}, "-epochs must be between"},
		{"not a number", []string{"train", "-epochs", "ten"}, `invalid value "ten" for flag -epochs`},
		{"unknown model", []string{"train", "-data", good, "-model", "resnet"}, `unknown model "resnet"`},
		{"unknown optimizer", []string{"train", "-data", good, "-optimizer", "lion"}, `unknown optimizer "lion"`},
		{"zero learning rate", []string{"train", "-data", good, "-lr", "0"}, "-lr must be a positive number"},
		{"zero-width layer", []string{"train", "-csv", "iris", "-hidden", "16,0"}, "-hidden wants comma-separated positive widths"},
		{"unknown flag", []string{"train", "-epoch", "3"}, "flag provided but not defined: -epoch"},
		{"stray argument", []string{"train", "extra"}, `unexpected argument "extra"`},
		{"unknown command", []string{"fly"}, `unknown command "fly"`},
		{"unknown csv", []string{"train", "-csv", "/nonexistent.csv"}, "/nonexistent.csv"},
		{"unknown target", []string{"train", "-csv", "iris", "-target", "colour"}, "colour"},
		{"eval without model", []string{"eval"}, "-model FILE is required"},
		{"eval missing model", []string{"eval", "-model", "/nonexistent.safetensors"}, "/nonexistent.safetensors"},
		{"eval corrupt model", []string{"eval", "-model", corruptModel}, "header"},
		{"csv flag without csv", []string{"train", "-hidden", "32"}, "-hidden applies to -csv training only"},
		{"model with csv", []string{"train", "-csv", "iris", "-model", "lenet5"}, "-model does not apply to -csv"},
		{"dataset with csv", []string{"train", "-csv", "iris", "-dataset", "mnist"}, "-dataset does not apply to -csv"},
		{"dataset the model does not take", []string{"train", "-data", good, "-model", "lenet5", "-dataset", "cifar10"}, `zoo: lenet5 does not train on "cifar10" (it takes mnist, fashion-mnist)`},
		{"unknown dataset", []string{"train", "-data", good, "-dataset", "imagenet"}, `zoo: mlp does not train on "imagenet" (it takes mnist, fashion-mnist)`},
		{"missing fashion-mnist data", []string{"train", "-dataset", "fashion-mnist", "-data", "/nonexistent/fashion"}, "/nonexistent/fashion"},
		{"resume with dataset", []string{"train", "-resume", "/x", "-dataset", "fashion-mnist"}, "-dataset cannot be combined with -resume"},
		{"unknown download", []string{"download", "imagenet"}, `unknown dataset "imagenet"`},
		{"resume with model", []string{"train", "-resume", "/x", "-model", "lenet5"}, "-model cannot be combined with -resume"},
		{"resume with overwrite", []string{"train", "-resume", "/x", "-overwrite"}, "-overwrite does not apply to -resume"},
		{"negative keep", []string{"train", "-csv", "iris", "-keep", "-1"}, "-keep must be between 0 and 1000"},
		{"tiny validation split", []string{"train", "-csv", "iris", "-val-split", "0.01"}, "modelcard: validation split 0.01 of the 120 training rows leaves 119 for training and 1 for validation; each needs at least 2 rows"},
		{"huge test split", []string{"train", "-csv", "iris", "-split", "0.99"}, "modelcard: test split 0.99 of the 150 rows leaves 1 for training and 149 for testing"},
		{"unwritable out", []string{"train", "-csv", "iris", "-out", "/proc/self"}, "out folder /proc/self is not writable"},
		{"bench unknown model", []string{"bench", "-model", "resnet"}, `unknown -model "resnet" (want mlp, mlp-paddle, mlp-mindspore, lenet5, cifar-vgg, resnet20)`},
		{"bench zero steps", []string{"bench", "-steps", "0"}, "-steps must be between 1 and 1048576, got 0"},
		{"bench negative batch", []string{"bench", "-batch", "-1"}, "-batch must be between 1 and 65536, got -1"},
		{"bench absurd latency runs", []string{"bench", "-latency-runs", "99999999"}, "-latency-runs must be between"},
		{"bench missing data", []string{"bench", "-data", "/nonexistent/mnist", "-steps", "1"}, "/nonexistent/mnist"},
		{"bench unknown flag", []string{"bench", "-epochs", "1"}, "flag provided but not defined: -epochs"},
		{"serve without model", []string{"serve"}, "-model FILE or -models DIR is required"},
		{"serve both", []string{"serve", "-model", "a", "-models", "b"}, "not both"},
		{"serve missing model", []string{"serve", "-addr", "127.0.0.1:0", "-model", "/nonexistent.safetensors"}, "/nonexistent.safetensors"},
		{"serve corrupt model", []string{"serve", "-addr", "127.0.0.1:0", "-model", corruptModel}, corruptModel},
		{"serve missing folder", []string{"serve", "-addr", "127.0.0.1:0", "-models", "/nonexistent"}, "/nonexistent"},
		{"serve zero batch", []string{"serve", "-model", "a", "-max-batch", "0"}, "-max-batch must be between 1 and 65536, got 0"},
		{"serve zero delay", []string{"serve", "-model", "a", "-max-delay", "0s"}, "-max-delay must be positive"},
		{"serve bad body size", []string{"serve", "-model", "a", "-max-body", "8XB"}, "-max-body"},
		{"serve bad log level", []string{"serve", "-model", "a", "-log-level", "loud"}, "-log-level"},
		{"serve bad address", []string{"serve", "-model", "a", "-addr", "127.0.0.1:99999"}, "invalid port"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := runGozoo(t, tc.args...)
			if code != 1 {
				t.Errorf("exit status %d, want 1 (stderr %q)", code, stderr)
			}
			lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
			if len(lines) != 1 || !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr = %q, want one line containing %q", stderr, tc.want)
			}
			if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine") {
				t.Errorf("stderr shows a panic: %q", stderr)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
		})
	}
}

func readJSONLines(t *testing.T, s string) []map[string]float64 {
	t.Helper()
	var out []map[string]float64
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		var m map[string]float64
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("bad JSON line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

func tensorBits(t *testing.T, path string) map[string][]uint32 {
	t.Helper()
	f, err := modelfile.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]uint32{}
	for _, ts := range f.Tensors {
		for _, v := range ts.Data {
			out[ts.Name] = append(out[ts.Name], math.Float32bits(v))
		}
	}
	return out
}

// Train, evaluate the saved model, and resume: the CLI's promises end to end
// on the real MNIST (a 1-2 epoch MLP run takes a few seconds).
func TestTrainEvalResume(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on MNIST")
	}
	straight, split := t.TempDir(), t.TempDir()
	// A cosine schedule spans the epochs asked for, so a 1-epoch run
	// continued to 2 follows another schedule than a 2-epoch run: compare
	// the two at a constant rate (the seed's exact recipe).
	out, stderr, code := runGozoo(t, "train", "-epochs", "2", "-schedule", "none", "-json", "-out", straight)
	if code != 0 {
		t.Fatalf("train: status %d: %s", code, stderr)
	}
	epochs := readJSONLines(t, out)
	if len(epochs) != 2 {
		t.Fatalf("got %d JSON lines, want 2", len(epochs))
	}
	last := epochs[1]
	for _, key := range []string{"epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "test_samples", "seconds", "samples_per_sec"} {
		if _, ok := last[key]; !ok {
			t.Errorf("JSON line lacks %q", key)
		}
	}
	if last["test_samples"] != 10000 || last["test_accuracy"] < 0.9 {
		t.Errorf("test accuracy %v over %v samples", last["test_accuracy"], last["test_samples"])
	}

	out, stderr, code = runGozoo(t, "eval", "-model", filepath.Join(straight, "model.safetensors"), "-json")
	if code != 0 {
		t.Fatalf("eval: status %d: %s", code, stderr)
	}
	var ev struct {
		Accuracy float64 `json:"accuracy"`
		Samples  int     `json:"samples"`
	}
	if err := json.Unmarshal([]byte(out), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Accuracy != last["test_accuracy"] || ev.Samples != 10000 {
		t.Errorf("eval accuracy %v over %d, train reported %v", ev.Accuracy, ev.Samples, last["test_accuracy"])
	}

	if _, stderr, code = runGozoo(t, "train", "-epochs", "1", "-schedule", "none", "-quiet", "-out", split); code != 0 {
		t.Fatalf("train 1 epoch: %s", stderr)
	}
	if _, stderr, code = runGozoo(t, "train", "-resume", split, "-epochs", "2", "-quiet", "-out", split); code != 0 {
		t.Fatalf("resume: %s", stderr)
	}
	want := tensorBits(t, filepath.Join(straight, "checkpoint.safetensors"))
	got := tensorBits(t, filepath.Join(split, "checkpoint.safetensors"))
	if len(want) != len(got) {
		t.Fatalf("checkpoints hold %d and %d tensors", len(want), len(got))
	}
	for name, bits := range want {
		for i := range bits {
			if got[name][i] != bits[i] {
				t.Fatalf("%s[%d] differs between the straight and the resumed run", name, i)
			}
		}
	}
}

func TestInterruptWritesCheckpointAndExits130(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on MNIST")
	}
	dir := t.TempDir()
	cmd := exec.Command(gozooBinary(t), "train", "-epochs", "50", "-quiet", "-out", dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(dir, "checkpoint.safetensors")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("no checkpoint after 60 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 130 {
		t.Fatalf("exit %v, want status 130; stderr %q", err, stderr.String())
	}
	path := filepath.Join(dir, "interrupted.safetensors")
	if !strings.Contains(stderr.String(), path) {
		t.Errorf("stderr %q does not name %s", stderr.String(), path)
	}
	for _, p := range []string{path, filepath.Join(dir, "checkpoint.safetensors")} {
		if _, err := modelfile.ReadFile(p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	if _, stderr, code := runGozoo(t, "train", "-resume", path, "-epochs", "2", "-quiet"); code != 0 {
		t.Errorf("resume from the interrupted checkpoint: %s", stderr)
	}
}

// A second run into a folder refuses without -overwrite; a diverging run
// stops with status 1 and leaves the checkpoint an earlier run wrote in the
// same folder as it was.
func TestDivergenceKeepsTheEarlierCheckpoint(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on MNIST")
	}
	dir := t.TempDir()
	if _, stderr, code := runGozoo(t, "train", "-epochs", "1", "-quiet", "-out", dir); code != 0 {
		t.Fatal(stderr)
	}
	ck := filepath.Join(dir, "checkpoint.safetensors")
	before, _ := os.ReadFile(ck)
	if _, stderr, code := runGozoo(t, "train", "-lr", "1e6", "-epochs", "2", "-quiet", "-out", dir); code != 1 || !strings.Contains(stderr, "already holds a run") {
		t.Errorf("a second run into the folder: status %d, stderr %q; want a refusal", code, stderr)
	}
	_, stderr, code := runGozoo(t, "train", "-lr", "1e6", "-epochs", "2", "-quiet", "-out", dir, "-overwrite")
	if code != 1 || !strings.Contains(stderr, "diverged: loss is") || !strings.Contains(stderr, "epoch 1, batch 2 (step 2)") {
		t.Errorf("status %d, stderr %q", code, stderr)
	}
	after, _ := os.ReadFile(ck)
	if !bytes.Equal(before, after) {
		t.Error("the diverging run changed the earlier checkpoint")
	}
	if _, err := modelfile.ReadFile(ck); err != nil {
		t.Error(err)
	}
}

// A Ctrl-C in the middle of an epoch, then the command the CLI prints, run
// exactly as printed with N the run's epochs, ends bit-identical to an
// uninterrupted run; the resumed run reuses the interrupted run's training
// flags (here a cosine schedule and batch size) and writes into its folder.
func TestResumeRestoresTrainingOptions(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on MNIST")
	}
	args := []string{"train", "-epochs", "2", "-batch", "100", "-schedule", "cosine", "-quiet", "-out"}
	straight, split := t.TempDir(), t.TempDir()
	if _, stderr, code := runGozoo(t, append(args, straight)...); code != 0 {
		t.Fatal(stderr)
	}
	cmd := exec.Command(gozooBinary(t), append(args, split)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(split, "checkpoint.safetensors")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("no checkpoint after 60 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // into epoch 2 (600 batches, a few seconds)
	cmd.Process.Signal(syscall.SIGINT)
	if err := cmd.Wait(); err == nil {
		t.Skip("the run finished before the interrupt arrived")
	}
	msg := strings.TrimSpace(stderr.String())
	if !strings.Contains(msg, "interrupted after 1 complete epochs and ") || !strings.Contains(msg, " of 600 batches (step ") {
		t.Fatalf("stderr %q: want an interrupt in the middle of epoch 2", msg)
	}
	_, advice, ok := strings.Cut(msg, "(continue with: ")
	if !ok || !strings.HasSuffix(advice, " -epochs N)") {
		t.Fatalf("stderr %q gives no advice", msg)
	}
	command := strings.Fields(strings.TrimSuffix(strings.TrimSuffix(advice, ")"), "N") + "2")
	if command[0] != "gozoo" || command[2] != "-resume" || command[3] != filepath.Join(split, "interrupted.safetensors") {
		t.Fatalf("advice %q", advice)
	}
	if _, stderr, code := runGozoo(t, command[1:]...); code != 0 {
		t.Fatalf("%s: %s", strings.Join(command, " "), stderr)
	}
	for _, file := range []string{"model.safetensors", "checkpoint.safetensors"} {
		want := tensorBits(t, filepath.Join(straight, file))
		got := tensorBits(t, filepath.Join(split, file))
		for name, bits := range want {
			for i := range bits {
				if got[name][i] != bits[i] {
					t.Fatalf("%s: %s[%d] differs between the straight and the resumed run", file, name, i)
				}
			}
		}
	}
}
