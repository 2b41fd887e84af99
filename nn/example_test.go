package nn_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/gozoo/gozoo/nn"
)

// A two-layer network compiled for training on batches of 4: one run gives
// the loss and the gradient of every parameter.
func Example() {
	rng := rand.New(rand.NewPCG(1, 2))
	hidden, _ := nn.NewDense("dense1", 3, 8, nn.HeUniform, rng)
	relu, _ := nn.NewActivation("relu1", nn.ReLU)
	out, _ := nn.NewDense("dense2", 8, 2, nn.GlorotUniform, rng)
	model, err := nn.NewSequential([]int{3}, hidden, relu, out)
	if err != nil {
		fmt.Println(err)
		return
	}
	prog, err := nn.Compile(model, nn.Training, 4, nn.SoftmaxCrossEntropy{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer prog.Close()
	copy(prog.Input(), []float32{1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1})
	copy(prog.Target(), []float32{1, 0, 0, 1, 1, 0, 0, 1})
	if err := prog.Run(nil); err != nil {
		fmt.Println(err)
		return
	}
	grads, _ := prog.Grads(nil)
	for i, p := range prog.Params() {
		fmt.Println(p.Name, p.Shape(), len(grads[i]))
	}
	fmt.Println("loss finite:", prog.Loss() > 0 && prog.Loss() < 10)
	// Output:
	// dense1/weight [3 8] 24
	// dense1/bias [8] 8
	// dense2/weight [8 2] 16
	// dense2/bias [2] 2
	// loss finite: true
}
