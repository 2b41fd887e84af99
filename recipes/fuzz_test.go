package recipes

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/gozoo/gozoo/io/modelfile"
	"github.com/gozoo/gozoo/nn"
	"github.com/gozoo/gozoo/optim"
	"github.com/gozoo/gozoo/zoo/mlp"
)

// FuzzCheckpointMetadata replaces a real checkpoint's training-state
// metadata (epoch, step, random source, position, optimizer and its state,
// callback state) with arbitrary strings: loading returns an error or a
// checkpoint, never a panic.
func FuzzCheckpointMetadata(f *testing.F) {
	m, err := mlp.New(mlp.Config{Inputs: 4, Hidden: []int{3}, Outputs: 2}, rand.New(rand.NewPCG(1, 0)))
	if err != nil {
		f.Fatal(err)
	}
	opt, _ := optim.NewAdam(optim.AdamSettings{})
	tr, err := NewTrainer(m, nn.SoftmaxCrossEntropy{}, opt, 1)
	if err != nil {
		f.Fatal(err)
	}
	// One step, so that the optimizer has state tensors.
	ds := &tinyData{}
	if _, err := tr.Fit(context.Background(), ds, FitOptions{Epochs: 1, BatchSize: 4}); err != nil {
		f.Fatal(err)
	}
	good, err := tr.CheckpointFile(nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	tr.Close()
	keys := []string{KeyEpoch, KeyStep, KeyRNGState, KeyPosition, KeyOptimizer, KeyOptimizerState, KeyCallbacks}
	f.Add(uint8(0), good.Metadata[KeyEpoch])
	for i, k := range keys {
		f.Add(uint8(i), good.Metadata[k])
	}
	f.Add(uint8(4), `{"kind":"adam","settings":{"learning_rate":-1}}`)
	f.Add(uint8(4), `{"kind":"lion","settings":{}}`)
	f.Add(uint8(5), `{"kind":"adam","step":-5,"learning_rate":1e400}`)
	f.Add(uint8(2), "AAAA")
	f.Add(uint8(3), `{"epoch":2,"batch":99999999999,"batches":1}`)
	f.Add(uint8(6), `{"early_stopping":"x"}`)
	f.Fuzz(func(t *testing.T, which uint8, value string) {
		file := &modelfile.File{Metadata: map[string]string{}, Tensors: good.Tensors}
		for k, v := range good.Metadata {
			file.Metadata[k] = v
		}
		file.Metadata[keys[int(which)%len(keys)]] = value
		ck, err := checkpointFromFile(file)
		if err != nil {
			return
		}
		if _, err := ck.Trainer(nn.SoftmaxCrossEntropy{}); err != nil {
			return
		}
	})
}

// tinyData is 8 samples of 4 features and 2 classes.
type tinyData struct{}

func (tinyData) Len() int                   { return 8 }
func (tinyData) InputShape() []int          { return []int{4} }
func (tinyData) Input(i int, dst []float32) { dst[0], dst[1], dst[2], dst[3] = float32(i), 1, -1, 0.5 }
func (tinyData) Classes() int               { return 2 }
func (tinyData) Label(i int) int            { return i % 2 }
