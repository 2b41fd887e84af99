package prune

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/io/loader"
	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/nn"
	"github.com/gozoo/gozoo/optim"
	"github.com/gozoo/gozoo/recipes"
	"github.com/gozoo/gozoo/zoo"
	"github.com/gozoo/gozoo/zoo/cnn"
	"github.com/gozoo/gozoo/zoo/mlp"
)

func zeros(p *nn.Param) int {
	n := 0
	for _, v := range p.Data() {
		if v == 0 {
			n++
		}
	}
	return n
}

func TestMagnitudePerLayerAndGlobal(t *testing.T) {
	m, err := mlp.New(mlp.Config{Inputs: 20, Hidden: []int{30}, Outputs: 5}, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	params, err := Prunable(m)
	if err != nil {
		t.Fatal(err)
	}
	if len(params) != 2 || params[0].Name != "dense1/weight" || params[1].Name != "dense2/weight" {
		t.Fatalf("prunable %v", params)
	}
	// Scale the second layer down so that a global threshold takes more of it.
	for i := range params[1].Data() {
		params[1].Data()[i] *= 0.1
	}
	before := [][]float32{append([]float32(nil), params[0].Data()...), append([]float32(nil), params[1].Data()...)}
	if err := Magnitude(params, 0.5, false); err != nil {
		t.Fatal(err)
	}
	for i, p := range params {
		if got, want := zeros(p), int(math.Round(0.5*float64(len(p.Data())))); got != want {
			t.Errorf("%s: %d zeros, want %d", p.Name, got, want)
		}
		// The kept values are the largest in magnitude.
		abs := make([]float64, len(before[i]))
		for j, v := range before[i] {
			abs[j] = math.Abs(float64(v))
		}
		sorted := append([]float64(nil), abs...)
		sort.Float64s(sorted)
		threshold := sorted[len(sorted)/2]
		for j, v := range p.Data() {
			if (v == 0) != (abs[j] < threshold) || (v != 0 && v != before[i][j]) || p.Mask[j] != (v != 0) {
				t.Fatalf("%s[%d] = %v (was %v, threshold %v)", p.Name, j, v, before[i][j], threshold)
			}
		}
	}
	// Global: 80% of all 750 weights, most of them from the scaled layer.
	if err := Magnitude(params, 0.8, true); err != nil {
		t.Fatal(err)
	}
	z0, z1 := zeros(params[0]), zeros(params[1])
	if z0+z1 != 600 || z1 != 150 {
		t.Errorf("global 80%%: %d + %d zeros, want 600 with all 150 of the small layer", z0, z1)
	}
	for _, bad := range []float64{-0.1, 1, math.NaN()} {
		if err := Magnitude(params, bad, false); err == nil || !strings.Contains(err.Error(), "sparsity must be in [0, 1)") {
			t.Errorf("sparsity %v: %v", bad, err)
		}
	}
}

func TestCubicSchedule(t *testing.T) {
	c := Cubic{Initial: 0, Final: 0.9, Begin: 100, End: 500, Every: 50}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		t     int64
		want  float64
		prune bool
	}{
		{0, 0, false}, {100, 0, true}, {120, 0.9 - 0.9*math.Pow(1-20.0/400, 3), false},
		{300, 0.9 - 0.9*0.125, true}, {500, 0.9, true}, {550, 0.9, false},
	} {
		got, prune := c.At(tc.t)
		if math.Abs(got-tc.want) > 1e-12 || prune != tc.prune {
			t.Errorf("At(%d) = %v, %v; want %v, %v", tc.t, got, prune, tc.want, tc.prune)
		}
	}
	prev := 0.0
	for step := int64(0); step <= 600; step++ {
		s, _ := c.At(step)
		if s < prev {
			t.Fatalf("sparsity falls at step %d", step)
		}
		prev = s
	}
	if err := (Cubic{Final: 0.5, Begin: 5, End: 2, Every: 1}).Validate(); err == nil {
		t.Error("end before begin: no error")
	}
}

func mnistSubset(t *testing.T, card *modelcard.Card, n int) *modelcard.Data {
	t.Helper()
	data, err := card.Data("")
	if err != nil {
		t.Fatal(err)
	}
	first := make([]int, n)
	for i := range first {
		first[i] = i
	}
	if data.Train, err = loader.Subset(data.Train, first); err != nil {
		t.Fatal(err)
	}
	if data.Test, err = loader.Subset(data.Test, first[:n/2]); err != nil {
		t.Fatal(err)
	}
	return data
}

// Pruning with fine-tuning reaches the sparsity exactly; the file holds the
// zeros (counted by numpy as well), and they stay zero after a load and
// further training, but only because of the mask.
func TestPruneSaveLoadTrain(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on MNIST")
	}
	card := modelcard.MNIST([]int{1, 28, 28})
	data := mnistSubset(t, card, 1000)
	m, err := cnn.NewLeNet5(cnn.LeNet5Config{}, rand.New(rand.NewPCG(1, 0)))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Prune(context.Background(), m, card, data, Settings{Sparsity: 0.9, Epochs: 1, Global: true, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(rep.Sparsity-0.9) > 1e-4 || len(rep.Layers) != 5 {
		t.Fatalf("report %+v", rep)
	}
	path := filepath.Join(t.TempDir(), "pruned.safetensors")
	if err := zoo.Save(path, m, card); err != nil {
		t.Fatal(err)
	}
	loaded, _, err := zoo.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	params, _ := Prunable(loaded)
	_, sparsity := Count(params)
	if math.Abs(sparsity-rep.Sparsity) > 0 || params[0].Mask == nil {
		t.Fatalf("loaded sparsity %v (mask %v), saved %v", sparsity, params[0].Mask != nil, rep.Sparsity)
	}
	if out, err := exec.Command("/usr/bin/python3", "../../scripts/gozoo_interop.py", "zeros", path).Output(); err != nil {
		t.Logf("numpy reader not run: %v", err)
	} else {
		var counts map[string][2]int
		if err := json.Unmarshal(out, &counts); err != nil {
			t.Fatal(err)
		}
		for _, l := range rep.Layers {
			if counts[l.Param] != [2]int{l.Zeros, l.Size} {
				t.Errorf("numpy counts %v zeros in %s, gozoo %d of %d", counts[l.Param], l.Param, l.Zeros, l.Size)
			}
		}
	}
	train := func(model nn.Model) {
		opt, _ := optim.NewAdam(optim.AdamSettings{LearningRate: 1e-3})
		tr, err := recipes.NewTrainer(model, nn.SoftmaxCrossEntropy{}, opt, 5)
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		if _, err := tr.Fit(context.Background(), data.Train, recipes.FitOptions{Epochs: 1, BatchSize: 100}); err != nil {
			t.Fatal(err)
		}
	}
	train(loaded)
	if _, after := Count(params); after != sparsity {
		t.Errorf("sparsity %v after further training, was %v", after, sparsity)
	}
	// Without the mask the same training moves the pruned weights.
	unmasked, _, _ := zoo.Load(path)
	up, _ := Prunable(unmasked)
	for _, p := range up {
		p.Mask = nil
	}
	train(unmasked)
	if _, after := Count(up); after > 0.5 {
		t.Errorf("without masks %v of the weights stayed zero: the test cannot tell", after)
	}
}
