package onnx_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/gozoo/gozoo/io/mnist"
	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/nn"
	"github.com/gozoo/gozoo/onnx"
	"github.com/gozoo/gozoo/optim"
	"github.com/gozoo/gozoo/predict"
	"github.com/gozoo/gozoo/recipes"
	"github.com/gozoo/gozoo/zoo"
)

// The fixtures in testdata/torch were written by scripts/onnx_fixtures.py
// with Debian's PyTorch 1.13 (torch.onnx.export, opset 13): three
// torch.nn.Sequential models trained briefly on MNIST, PyTorch's logits on
// the first 100 test images and its predicted digit for all 10,000.
var torchFixtures = []struct {
	name  string
	shape []int
}{
	{"mlp", []int{784}},
	{"lenet5", []int{1, 28, 28}},
	{"bn_cnn", []int{1, 28, 28}},
}

var (
	mnistOnce sync.Once
	mnistTest *mnist.Dataset
	mnistErr  error
)

// testImages returns the MNIST test set (pixel/255, as torchvision's
// ToTensor gives it) from the copy in the Go module cache.
func testImages(t *testing.T) *mnist.Dataset {
	t.Helper()
	mnistOnce.Do(func() {
		dir, err := mnist.DefaultDir()
		if err != nil {
			mnistErr = err
			return
		}
		mnistTest, mnistErr = mnist.LoadFiles(filepath.Join(dir, mnist.TestImagesFile+".gz"), filepath.Join(dir, mnist.TestLabelsFile+".gz"))
	})
	if mnistErr != nil {
		t.Fatal(mnistErr)
	}
	return mnistTest
}

// inputs returns images [from, to) of the test set as one batch.
func inputs(t *testing.T, from, to int) []float32 {
	d := testImages(t)
	x := make([]float32, 784*(to-from))
	for i := from; i < to; i++ {
		d.Input(i, x[784*(i-from):784*(i-from+1)])
	}
	return x
}

func importFile(t *testing.T, path string, opts onnx.ImportOptions) (onnx.Model, *modelcard.Card) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, card, err := onnx.Import(f, opts)
	if err != nil {
		t.Fatal(err)
	}
	return m, card
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func predictor(t *testing.T, m nn.Model, card *modelcard.Card) *predict.Predictor {
	t.Helper()
	p, err := predict.New(m, card, predict.Options{MaxBatch: 256})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// maxDiff returns the largest |got - want| and fails if any exceeds tol
// (relative to |want| where that is over 1: float32 keeps 7 digits).
func maxDiff(t *testing.T, got []float32, want []float64, tol float64) float64 {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d outputs, want %d", len(got), len(want))
	}
	worst := 0.0
	for i := range want {
		d := math.Abs(float64(got[i]) - want[i])
		if !(d <= tol*math.Max(1, math.Abs(want[i]))) {
			t.Errorf("output %d: %v, want %v (difference %.3g, tolerance %g)", i, got[i], want[i], d, tol)
		}
		worst = math.Max(worst, d)
	}
	return worst
}

// PyTorch's ONNX files import and give PyTorch's logits to 1e-5.
func TestImportPyTorchLogits(t *testing.T) {
	x := inputs(t, 0, 100)
	for _, fx := range torchFixtures {
		t.Run(fx.name, func(t *testing.T) {
			m, card := importFile(t, filepath.Join("testdata", "torch", fx.name+".onnx"), onnx.ImportOptions{})
			if got := m.InputShape(); len(got) != len(fx.shape) {
				t.Fatalf("input shape %v, want %v", got, fx.shape)
			}
			if card.Dataset != modelcard.MNISTDataset || len(card.ClassNames) != 10 || card.Mean[0] != 0 || card.Std[0] != 1 {
				t.Errorf("card %+v, want MNIST's (pixels/255)", card)
			}
			var want [][]float64
			readJSON(t, filepath.Join("testdata", "torch", fx.name+"_logits.json"), &want)
			got, err := predictor(t, m, card).Predict(context.Background(), x)
			if err != nil {
				t.Fatal(err)
			}
			var flat []float64
			for _, row := range want {
				flat = append(flat, row...)
			}
			t.Logf("%s: %d layers, largest difference from PyTorch's logits on 100 images: %.2g", fx.name, len(m.Layers()), maxDiff(t, got, flat, 1e-5))
		})
	}
}

func argmax(row []float32) int {
	best := 0
	for j, v := range row {
		if v > row[best] {
			best = j
		}
	}
	return best
}

// The imported MLP and LeNet-5 predict the digit PyTorch predicts for every
// one of the 10,000 MNIST test images, so their test accuracy is PyTorch's.
func TestImportPyTorchAccuracy(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 10,000 images through two models")
	}
	var manifest struct {
		Models map[string]struct {
			TestCorrect int `json:"test_correct"`
		} `json:"models"`
	}
	readJSON(t, filepath.Join("testdata", "torch", "manifest.json"), &manifest)
	d := testImages(t)
	for _, name := range []string{"mlp", "lenet5"} {
		t.Run(name, func(t *testing.T) {
			m, card := importFile(t, filepath.Join("testdata", "torch", name+".onnx"), onnx.ImportOptions{})
			data, err := os.ReadFile(filepath.Join("testdata", "torch", name+"_predictions.txt"))
			if err != nil {
				t.Fatal(err)
			}
			torch := strings.TrimSpace(string(data))
			if len(torch) != d.Len() {
				t.Fatalf("%d PyTorch predictions for %d images", len(torch), d.Len())
			}
			p := predictor(t, m, card)
			differ, correct := 0, 0
			const chunk = 1000
			for from := 0; from < d.Len(); from += chunk {
				out, err := p.Predict(context.Background(), inputs(t, from, from+chunk))
				if err != nil {
					t.Fatal(err)
				}
				for i := 0; i < chunk; i++ {
					got := argmax(out[10*i : 10*i+10])
					if byte('0'+got) != torch[from+i] {
						differ++
					}
					if got == d.Label(from+i) {
						correct++
					}
				}
			}
			want := manifest.Models[name].TestCorrect
			t.Logf("%s: %d of %d test images right (PyTorch: %d); %d predictions differ from PyTorch's", name, correct, d.Len(), want, differ)
			if differ != 0 {
				t.Errorf("%d predictions differ from PyTorch's", differ)
			}
			if correct != want {
				t.Errorf("%d images right, PyTorch %d", correct, want)
			}
		})
	}
}

// subset returns the first n test images as a dataset of the given shape.
func subset(t *testing.T, n int, shape []int) *mnist.Dataset {
	t.Helper()
	d := testImages(t)
	pixels := make([]uint8, 0, 784*n)
	labels := make([]uint8, n)
	for i := 0; i < n; i++ {
		pixels = append(pixels, d.Image(i)...)
		labels[i] = uint8(d.Label(i))
	}
	s, err := mnist.New(pixels, labels, 28, 28)
	if err != nil {
		t.Fatal(err)
	}
	if s, err = s.WithShape(shape); err != nil {
		t.Fatal(err)
	}
	return s
}

// An imported model is an ordinary gozoo model: it saves and loads as a
// model file with the same outputs, evaluates, and trains further.
func TestImportedModelSavesEvaluatesAndTrains(t *testing.T) {
	m, card := importFile(t, filepath.Join("testdata", "torch", "bn_cnn.onnx"), onnx.ImportOptions{})
	path := filepath.Join(t.TempDir(), "model.safetensors")
	if err := zoo.Save(path, m, card); err != nil {
		t.Fatal(err)
	}
	loaded, loadedCard, err := zoo.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Kind() != nn.SequentialKind || !reflect.DeepEqual(loadedCard, card) {
		t.Errorf("loaded a %s model with card %+v, want sequential and %+v", loaded.Kind(), loadedCard, card)
	}
	x := inputs(t, 0, 8)
	a, err := predictor(t, m, card).Predict(context.Background(), x)
	if err != nil {
		t.Fatal(err)
	}
	b, err := predictor(t, loaded, loadedCard).Predict(context.Background(), x)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("outputs after save and load differ")
	}

	lenet, card := importFile(t, filepath.Join("testdata", "torch", "lenet5.onnx"), onnx.ImportOptions{})
	data := subset(t, 512, lenet.InputShape())
	before, err := recipes.Evaluate(context.Background(), lenet, recipes.LossFor(card), data, 128)
	if err != nil {
		t.Fatal(err)
	}
	opt, err := optim.NewAdam(optim.AdamSettings{LearningRate: 1e-3})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := recipes.NewTrainer(lenet, recipes.LossFor(card), opt, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	w0 := append([]float32(nil), lenet.Params()[0].Data()...)
	h, err := tr.Fit(context.Background(), data, recipes.FitOptions{Epochs: 2, BatchSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	after, err := tr.Evaluate(context.Background(), data, 128)
	if err != nil {
		t.Fatal(err)
	}
	if reflect.DeepEqual(w0, lenet.Params()[0].Data()) || !(after.Loss < before.Loss) {
		t.Errorf("two epochs on 512 images: loss %v -> %v", before.Loss, after.Loss)
	}
	t.Logf("imported LeNet-5, 2 more epochs on 512 test images: loss %.4f -> %.4f, accuracy %.4f -> %.4f (train loss per epoch %.4f, %.4f)",
		before.Loss, after.Loss, before.Accuracy, after.Accuracy, h.Epochs[0].TrainLoss, h.Epochs[1].TrainLoss)
}
