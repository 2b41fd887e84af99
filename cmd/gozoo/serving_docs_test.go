package main

import (
	"image"
	"image/color"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/internal/mdblock"
	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/zoo"
	"github.com/gozoo/gozoo/zoo/cnn"
	"github.com/gozoo/gozoo/zoo/mlp"
)

// errorComment is a comment showing an error answer: "# 404 {...".
var errorComment = regexp.MustCompile(`#\s+[45]\d\d\s+\{`)

// Every curl example of docs/serving.md, and its Python client, runs as
// written against gozoo serve (on a free port instead of 8080) serving an
// MLP as "model" and a LeNet-5 as "lenet", and gets the kind of answer its
// comment shows: an error where the comment shows one, none elsewhere.
func TestServingDocsExamples(t *testing.T) {
	for _, tool := range []string{"bash", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	m, err := mlp.New(mlp.Config{Inputs: 784, Hidden: []int{16}, Outputs: 10}, rng)
	if err != nil {
		t.Fatal(err)
	}
	l, err := cnn.NewLeNet5(cnn.LeNet5Config{}, rng)
	if err != nil {
		t.Fatal(err)
	}
	models := t.TempDir()
	if err := zoo.Save(filepath.Join(models, "model.safetensors"), m, modelcard.MNIST([]int{784})); err != nil {
		t.Fatal(err)
	}
	if err := zoo.Save(filepath.Join(models, "lenet.safetensors"), l, modelcard.MNIST([]int{1, 28, 28})); err != nil {
		t.Fatal(err)
	}
	img := image.NewGray(image.Rect(0, 0, 28, 28))
	for y := 4; y < 24; y++ {
		for x := 12; x < 16; x++ {
			img.SetGray(x, y, color.Gray{Y: 255})
		}
	}
	writeImage(t, filepath.Join(dir, "digit.png"), img)
	p := startServe(t, "-models", models)

	ran := 0
	blocks, err := mdblock.Read(filepath.Join("..", "..", "docs", "serving.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range blocks {
		var cmd *exec.Cmd
		switch {
		case strings.Contains(b.Code, "curl ") && strings.Contains(b.Code, "localhost:8080"):
			cmd = exec.Command("bash", "-o", "pipefail", "-c", strings.ReplaceAll(b.Code, "localhost:8080", p.addr))
		case strings.HasPrefix(b.Code, "import ") && strings.Contains(b.Code, "localhost:8080"):
			if _, err := exec.LookPath("python3"); err != nil {
				t.Logf("docs/serving.md:%d: python3 is not installed; not run", b.Line)
				continue
			}
			cmd = exec.Command("python3", "-c", strings.ReplaceAll(b.Code, "localhost:8080", p.addr))
		default:
			continue
		}
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		text := string(out)
		switch {
		case err != nil:
			t.Errorf("docs/serving.md:%d: %v: %s", b.Line, err, out)
		case strings.TrimSpace(text) == "":
			t.Errorf("docs/serving.md:%d: no answer", b.Line)
		case errorComment.MatchString(b.Code) != strings.Contains(text, `"error"`):
			t.Errorf("docs/serving.md:%d: the comment shows an error %v, the answer is %s", b.Line, errorComment.MatchString(b.Code), out)
		}
		t.Logf("docs/serving.md:%d: %.100s", b.Line, strings.ReplaceAll(text, "\n", " "))
		ran++
	}
	if ran < 9 {
		t.Fatalf("ran %d examples of docs/serving.md; the test no longer finds them", ran)
	}
}
