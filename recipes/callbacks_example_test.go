package recipes_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/gozoo/gozoo/nn"
	"github.com/gozoo/gozoo/optim"
	"github.com/gozoo/gozoo/recipes"
	"github.com/gozoo/gozoo/zoo/mlp"
)

// pairs is a toy task, "is x0 above x1?", with no point within 0.2 of the
// boundary, so a linear model learns it perfectly.
type pairs struct{ x []float32 }

func newPairs(n int, seed uint64) *pairs {
	rng := rand.New(rand.NewPCG(seed, 0))
	p := &pairs{}
	for len(p.x) < 2*n {
		a, b := rng.Float32(), rng.Float32()
		if a-b > 0.2 || b-a > 0.2 {
			p.x = append(p.x, a, b)
		}
	}
	return p
}

func (p *pairs) Len() int                   { return len(p.x) / 2 }
func (p *pairs) InputShape() []int          { return []int{2} }
func (p *pairs) Input(i int, dst []float32) { copy(dst, p.x[2*i:2*i+2]) }
func (p *pairs) Classes() int               { return 2 }
func (p *pairs) Label(i int) int {
	if p.x[2*i] > p.x[2*i+1] {
		return 1
	}
	return 0
}

// Training with the usual callbacks: a decaying learning rate, early
// stopping once training accuracy stops rising, the history as JSON and CSV,
// and checkpoints. ModelCheckpoint comes last, after the callbacks whose
// state its files hold.
func Example_callbacks() {
	model, err := mlp.New(mlp.Config{Inputs: 2, Outputs: 2}, rand.New(rand.NewPCG(1, 0)))
	if err != nil {
		fmt.Println(err)
		return
	}
	opt, err := optim.New("adam", optim.Common{})
	if err != nil {
		fmt.Println(err)
		return
	}
	tr, err := recipes.NewTrainer(model, nn.SoftmaxCrossEntropy{}, opt, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tr.Close()
	dir, err := os.MkdirTemp("", "gozoo-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	stop := &recipes.EarlyStopping{Monitor: recipes.TrainAccuracy, Patience: 3, RestoreBest: true}
	_, err = tr.Fit(context.Background(), newPairs(200, 1), recipes.FitOptions{
		Epochs: 100, BatchSize: 20, Validation: newPairs(100, 2),
		Callbacks: []recipes.Callback{
			&recipes.LRScheduler{Schedule: optim.Exponential{Base: 0.05, Gamma: 0.95}},
			stop,
			&recipes.HistoryLogger{JSONPath: filepath.Join(dir, "history.json"), CSVPath: filepath.Join(dir, "history.csv")},
			&recipes.ModelCheckpoint{Dir: dir, SaveBest: true, SaveLast: true},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	_, accuracy, _ := stop.Best()
	fmt.Println("best train accuracy:", accuracy)
	fmt.Println("stopped early:", stop.StoppedEpoch > 0 && stop.StoppedEpoch < 100)
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		fmt.Println(filepath.Base(f))
	}
	// Output:
	// best train accuracy: 1
	// stopped early: true
	// best.safetensors
	// history.csv
	// history.json
	// last.safetensors
}

func ExampleParseMetric() {
	m, err := recipes.ParseMetric("val_accuracy")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m, "lower is better:", m.LowerIsBetter())
	// Output: val_accuracy lower is better: false
}
