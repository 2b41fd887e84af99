package recipes_test

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/gozoo/gozoo/io/loader"
	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/nn"
	"github.com/gozoo/gozoo/optim"
	"github.com/gozoo/gozoo/recipes"
)

// customCNN is a user's own network: nothing about it is registered.
func customCNN(t *testing.T, seed uint64) *nn.Sequential {
	t.Helper()
	b := nn.NewBuilder([]int{1, 28, 28}, rand.New(rand.NewPCG(seed, 0)))
	b.Conv2D("conv", 4, 3, 1).BatchNorm("bn").ReLU("relu").MaxPool2D("pool", 2)
	b.Flatten("flatten").Dropout("dropout", 0.3).Dense("logits", 10)
	m, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// A checkpoint of a custom Sequential CNN (dropout masks and BatchNorm
// running statistics included) resumes to exactly the weights of the
// uninterrupted run.
func TestCustomModelCheckpointResumesBitIdentical(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on MNIST")
	}
	card := modelcard.MNIST([]int{1, 28, 28})
	data, err := card.Data("")
	if err != nil {
		t.Fatal(err)
	}
	first := make([]int, 640)
	for i := range first {
		first[i] = i
	}
	train, err := loader.Subset(data.Train, first)
	if err != nil {
		t.Fatal(err)
	}
	newTrainer := func() *recipes.Trainer {
		opt, err := optim.NewAdam(optim.AdamSettings{LearningRate: 0.003})
		if err != nil {
			t.Fatal(err)
		}
		tr, err := recipes.NewTrainer(customCNN(t, 2), nn.SoftmaxCrossEntropy{}, opt, 9)
		if err != nil {
			t.Fatal(err)
		}
		tr.Card = card
		return tr
	}
	opts := recipes.FitOptions{Epochs: 2, BatchSize: 32}
	straight := newTrainer()
	defer straight.Close()
	if _, err := straight.Fit(context.Background(), train, opts); err != nil {
		t.Fatal(err)
	}

	split := newTrainer()
	opts.Epochs = 1
	if _, err := split.Fit(context.Background(), train, opts); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ck.safetensors")
	if err := split.SaveCheckpoint(path, nil, nil); err != nil {
		t.Fatal(err)
	}
	split.Close()
	ck, err := recipes.LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Model.Kind() != nn.SequentialKind || ck.Card == nil || ck.Card.Dataset != "mnist" {
		t.Fatalf("checkpoint holds a %s model with card %+v", ck.Model.Kind(), ck.Card)
	}
	resumed, err := ck.Trainer(nn.SoftmaxCrossEntropy{})
	if err != nil {
		t.Fatal(err)
	}
	defer resumed.Close()
	opts.Epochs = 2
	if _, err := resumed.Fit(context.Background(), train, opts); err != nil {
		t.Fatal(err)
	}
	want, got := straight.Model.Params(), resumed.Model.Params()
	if len(want) != len(got) {
		t.Fatalf("%d parameters, want %d", len(got), len(want))
	}
	for i, p := range want {
		if p.Name != got[i].Name {
			t.Fatalf("parameter %d is %s, want %s", i, got[i].Name, p.Name)
		}
		for j, v := range p.Data() {
			if math.Float32bits(v) != math.Float32bits(got[i].Data()[j]) {
				t.Fatalf("%s[%d]: resumed %v, uninterrupted %v", p.Name, j, got[i].Data()[j], v)
			}
		}
	}
	// The running statistics moved: the comparison covered them.
	if rm := want[4]; rm.Name != "bn/running_mean" || rm.Data()[0] == 0 {
		t.Errorf("%s = %v: BatchNorm statistics did not train", rm.Name, rm.Data()[:2])
	}
}
