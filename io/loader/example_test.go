package loader_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/gozoo/gozoo/io/loader"
)

// squares is a tiny Classified dataset: sample i has input [i, i*i] and
// label i%2.
type squares struct{}

func (squares) Len() int                   { return 5 }
func (squares) InputShape() []int          { return []int{2} }
func (squares) Input(i int, dst []float32) { dst[0], dst[1] = float32(i), float32(i*i) }
func (squares) Classes() int               { return 2 }
func (squares) Label(i int) int            { return i % 2 }

func Example() {
	var ds squares
	rng := rand.New(rand.NewPCG(1, 2))
	batches, err := loader.Epoch(ds.Len(), 2, rng)
	if err != nil {
		fmt.Println(err)
		return
	}
	count := 0
	for _, b := range batches {
		count += len(b)
	}
	fmt.Println(len(batches), "batches holding", count, "samples")

	// Fill the buffers for a batch of samples 3 and 4.
	x := make([]float32, 2*2)
	y := make([]float32, 2*2)
	batch := []int{3, 4}
	if err := loader.FillInputs(ds, batch, x); err != nil {
		fmt.Println(err)
		return
	}
	if err := loader.FillOneHot(ds, batch, y); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(x, y)

	// A buffer of the wrong size is an error, not a panic.
	fmt.Println(loader.FillInputs(ds, batch, x[:3]))
	// Output:
	// 3 batches holding 5 samples
	// [3 9 4 16] [0 1 1 0]
	// loader: buffer for inputs holds 3 values, want 2 samples x 2
}
