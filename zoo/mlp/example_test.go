package mlp_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/gozoo/gozoo/zoo/mlp"
)

func ExampleNew() {
	model, err := mlp.New(mlp.Paddle(), rand.New(rand.NewPCG(1, 0)))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(model.Config)
	for _, p := range model.Params() {
		fmt.Println(p.Name, p.Shape())
	}
	// Output:
	// 784-128-64-10 relu
	// dense1/weight [784 128]
	// dense1/bias [128]
	// dense2/weight [128 64]
	// dense2/bias [64]
	// dense3/weight [64 10]
	// dense3/bias [10]
}
