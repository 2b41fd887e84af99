package optim_test

import (
	"fmt"

	"github.com/gozoo/gozoo/optim"
)

// Adam minimises f(x) = (x-3)^2, whose gradient is 2(x-3).
func ExampleAdam() {
	opt, err := optim.NewAdam(optim.AdamSettings{LearningRate: 0.1})
	if err != nil {
		fmt.Println(err)
		return
	}
	params := []optim.Param{{Name: "x", Shape: []int{1}, Value: []float32{0}, Grad: []float32{0}}}
	for range 300 {
		params[0].Grad[0] = 2 * (params[0].Value[0] - 3)
		if err := opt.Step(params); err != nil {
			fmt.Println(err)
			return
		}
	}
	fmt.Printf("x = %.2f after %d steps\n", params[0].Value[0], opt.State().Step)
	// Output: x = 3.00 after 300 steps
}

// New builds an optimizer from a command-line name; State and LoadState
// carry it through a checkpoint.
func ExampleNew() {
	opt, err := optim.New("momentum", optim.Common{LearningRate: 0.1})
	if err != nil {
		fmt.Println(err)
		return
	}
	params := []optim.Param{{Name: "w", Shape: []int{2}, Value: []float32{1, 2}, Grad: []float32{0.5, -0.5}}}
	_ = opt.Step(params)
	state := opt.State()
	for _, t := range state.Tensors {
		fmt.Println(state.Kind, state.Step, t.Name, t.Data)
	}

	resumed, _ := optim.New("momentum", optim.Common{})
	fmt.Println(resumed.LoadState(state), resumed.LearningRate())

	_, err = optim.New("lamb", optim.Common{})
	fmt.Println(err)
	// Output:
	// momentum 1 w/momentum_buffer [0.5 -0.5]
	// <nil> 0.1
	// optim: unknown optimizer "lamb" (valid: adam, adamw, adagrad, momentum, nesterov, rmsprop, sgd)
}

func ExampleCosineWarmup() {
	s := optim.CosineWarmup{Base: 0.1, Min: 0.001, Warmup: 2, Total: 6}
	if err := s.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	for t := range 7 {
		fmt.Printf("%.4f ", s.At(t))
	}
	fmt.Println()
	// Output: 0.0500 0.1000 0.1000 0.0855 0.0505 0.0155 0.0010
}

func ExampleReduceOnPlateau() {
	r := optim.ReduceOnPlateau{Factor: 0.5, Patience: 1}
	lr := 0.1
	for _, loss := range []float64{1.0, 0.8, 0.85, 0.82, 0.7, 0.75, 0.76} {
		lr = r.Observe(loss, lr)
		fmt.Print(lr, " ")
	}
	fmt.Println()
	// Output: 0.1 0.1 0.1 0.05 0.05 0.05 0.025
}

func ExampleClipGlobalNorm() {
	params := []optim.Param{
		{Name: "w", Grad: []float32{3, 4}},
		{Name: "b", Grad: []float32{12}},
	}
	norm := optim.ClipGlobalNorm(params, 1.3)
	fmt.Printf("norm %g, clipped %.3f %.3f\n", norm, params[0].Grad, params[1].Grad)
	// Output: norm 13, clipped [0.300 0.400] [1.200]
}
