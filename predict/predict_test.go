package predict

import (
	"context"
	"errors"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gozoo/gozoo/internal/testutil"
	"github.com/gozoo/gozoo/io/csvdata"
	"github.com/gozoo/gozoo/io/imagein"
	"github.com/gozoo/gozoo/metrics"
	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/nn"
	"github.com/gozoo/gozoo/zoo"
	"github.com/gozoo/gozoo/zoo/cnn"
	"github.com/gozoo/gozoo/zoo/mlp"
)

func lenet(t testing.TB) zoo.Model {
	t.Helper()
	m, err := cnn.NewLeNet5(cnn.LeNet5Config{}, rand.New(rand.NewPCG(5, 6)))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func randomRows(rows, size int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 0))
	x := make([]float32, rows*size)
	for i := range x {
		x[i] = rng.Float32()
	}
	return x
}

// reference runs each row alone through its own batch-1 program, the way
// gozoo predict did before the predictor existed.
func reference(t *testing.T, m nn.Model, x []float32, in int) []float32 {
	t.Helper()
	prog, err := nn.Compile(m, nn.Evaluation, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer prog.Close()
	var out []float32
	for r := 0; r < len(x)/in; r++ {
		copy(prog.Input(), x[r*in:(r+1)*in])
		if err := prog.Run(nil); err != nil {
			t.Fatal(err)
		}
		out = append(out, prog.Outputs()...)
	}
	return out
}

// A row's outputs are the same bits whatever else is in the call: batches
// of any size, chunked and padded, equal rows run one at a time.
func TestPredictBatchesEqualSingleRows(t *testing.T) {
	mlpModel, err := mlp.New(mlp.Paddle(), rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		model zoo.Model
		card  *modelcard.Card
	}{
		{"mlp", mlpModel, modelcard.MNIST([]int{784})},
		{"lenet5", lenet(t), modelcard.MNIST([]int{1, 28, 28})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := New(tc.model, tc.card, Options{MaxBatch: 16})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			x := randomRows(37, p.InputSize(), 7) // 2 full chunks and 5 rows padded to 8
			want := reference(t, tc.model, x, p.InputSize())
			got, err := p.Predict(context.Background(), x)
			if err != nil {
				t.Fatal(err)
			}
			testutil.SameBits(t, "37 rows at once", got, want)
			for _, n := range []int{1, 3, 16} {
				got, err := p.Predict(context.Background(), x[:n*p.InputSize()])
				if err != nil {
					t.Fatal(err)
				}
				testutil.SameBits(t, "a few rows", got, want[:n*p.OutputSize()])
			}
			probs, err := p.Probabilities(context.Background(), x[:p.InputSize()])
			if err != nil {
				t.Fatal(err)
			}
			wantP := metrics.Softmax([]float64{float64(want[0]), float64(want[1]), float64(want[2]), float64(want[3]), float64(want[4]),
				float64(want[5]), float64(want[6]), float64(want[7]), float64(want[8]), float64(want[9])}, 10, nil)
			for i := range probs {
				if probs[i] != wantP[i] {
					t.Fatalf("probabilities %v, want %v", probs, wantP)
				}
			}
		})
	}
}

// Many goroutines share one predictor; every answer equals the sequential
// one. Run with -race.
func TestPredictConcurrent(t *testing.T) {
	m := lenet(t)
	p, err := New(m, modelcard.MNIST([]int{1, 28, 28}), Options{MaxBatch: 8, Concurrency: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	x := randomRows(11, p.InputSize(), 3)
	want := reference(t, m, x, p.InputSize())
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := range 4 {
				n := 1 + (g+round)%11
				got, err := p.Predict(context.Background(), x[:n*p.InputSize()])
				if err != nil {
					errs <- err
					return
				}
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						errs <- errors.New("a concurrent answer differs from the sequential one")
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestClassify(t *testing.T) {
	m := lenet(t)
	names := []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}
	card := modelcard.MNIST([]int{1, 28, 28})
	card.ClassNames = names
	p, err := New(m, card, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	img := image.NewGray(image.Rect(0, 0, 56, 40))
	for y := range 40 {
		for x := range 56 {
			img.SetGray(x, y, color.Gray{Y: uint8(3 * x)})
		}
	}
	c, err := p.Classify(context.Background(), img, ClassifyOptions{TopK: 4})
	if err != nil {
		t.Fatal(err)
	}
	layout, _ := card.ImageLayout()
	probs, _ := p.Probabilities(context.Background(), layout.Input(img, imagein.InvertAuto))
	best := 0
	for i := range probs {
		if probs[i] > probs[best] {
			best = i
		}
		if probs[i] != c.Probabilities[i] {
			t.Fatalf("probabilities %v, want %v", c.Probabilities, probs)
		}
	}
	if c.Class != best || c.ClassName != names[best] || len(c.Top) != 4 || c.Top[0].Class != best || c.Top[0].Name != names[best] {
		t.Errorf("classification %+v, want class %d", c, best)
	}
	for i := 1; i < len(c.Top); i++ {
		if c.Top[i].P > c.Top[i-1].P {
			t.Errorf("top not sorted: %+v", c.Top)
		}
	}
}

func TestLoadAndErrors(t *testing.T) {
	m := lenet(t)
	dir := t.TempDir()
	noCard := filepath.Join(dir, "nocard.safetensors")
	if err := zoo.Save(noCard, m, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(noCard); err == nil || !strings.Contains(err.Error(), "has no model card") {
		t.Errorf("Load without a card: %v", err)
	}
	withCard := filepath.Join(dir, "model.safetensors")
	if err := zoo.Save(withCard, m, modelcard.MNIST([]int{1, 28, 28})); err != nil {
		t.Fatal(err)
	}
	p, err := Load(withCard)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := p.Predict(ctx, make([]float32, 100)); err == nil || !strings.Contains(err.Error(), "multiple of 784") {
		t.Errorf("short input: %v", err)
	}
	if _, err := p.Predict(ctx, nil); err == nil {
		t.Error("empty input: no error")
	}
	if _, err := p.Values(ctx, make([]float32, 784)); err == nil {
		t.Error("Values of a classifier: no error")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := p.Predict(cancelled, make([]float32, 784)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Predict(ctx, make([]float32, 784)); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
	wrong := modelcard.MNIST([]int{784})
	if _, err := New(m, wrong, Options{}); err == nil || !strings.Contains(err.Error(), "takes input [1 28 28]") {
		t.Errorf("card of another shape: %v", err)
	}
	names := modelcard.MNIST([]int{1, 28, 28})
	names.ClassNames = names.ClassNames[:9]
	if _, err := New(m, names, Options{}); err == nil || !strings.Contains(err.Error(), "9 class names for a model with 10 outputs") {
		t.Errorf("9 names: %v", err)
	}
}

func TestRegressionValues(t *testing.T) {
	m, err := mlp.New(mlp.Config{Inputs: 2, Hidden: []int{3}, Outputs: 1}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	card := &modelcard.Card{Dataset: "csv", Shape: []int{2}, Task: modelcard.Regress, CSV: "x.csv",
		Features: []string{"a", "b"}, Standardizer: &csvdata.Standardizer{Mean: []float64{1, 2}, Std: []float64{3, 4}},
		TargetScale: &modelcard.TargetScale{Mean: 100, Std: 10}}
	p, err := New(m, card, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	row, err := card.Row([]float64{4, 6})
	if err != nil {
		t.Fatal(err)
	}
	if row[0] != 1 || row[1] != 1 {
		t.Fatalf("standardised row %v, want [1 1]", row)
	}
	raw, err := p.Predict(context.Background(), row)
	if err != nil {
		t.Fatal(err)
	}
	v, err := p.Values(context.Background(), row)
	if err != nil {
		t.Fatal(err)
	}
	if want := float64(float32(float64(raw[0])*10 + 100)); v[0] != want {
		t.Errorf("value %v, want %v", v[0], want)
	}
	if _, err := p.ClassifyInputs(context.Background(), row, 1); err == nil {
		t.Error("classifying with a regression model: no error")
	}
	if _, err := p.Classify(context.Background(), image.NewGray(image.Rect(0, 0, 2, 2)), ClassifyOptions{}); err == nil {
		t.Error("an image for a table model: no error")
	}
}
