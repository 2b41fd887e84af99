package bench_test

import (
	"context"
	"fmt"

	"github.com/gozoo/gozoo/bench"
)

// A short run of the seed MLP on MNIST. The figures change from run to run;
// fmt.Print(rep) shows them all, json.Marshal(rep) gives them to a script.
func Example() {
	rep, err := bench.Run(context.Background(), bench.Options{Model: "mlp", Steps: 20, InferBatch: 128, LatencyRuns: 50})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rep.Model, rep.Data, rep.Batch, rep.Steps, rep.InferBatch, rep.LatencyRuns)
	fmt.Println(rep.TrainSamplesPerSec > 0, rep.InferSamplesPerSec > 0, rep.LatencyUsMedian <= rep.LatencyUsP99)
	// Output:
	// mlp mnist 64 20 128 50
	// true true true
}
