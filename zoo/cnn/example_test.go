package cnn_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/gozoo/gozoo/nn"
	"github.com/gozoo/gozoo/zoo/cnn"
)

func ExampleNewLeNet5() {
	model, err := cnn.NewLeNet5(cnn.LeNet5Config{}, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, l := range model.Layers() {
		fmt.Printf("%-8s %v\n", l.Name(), model.LayerOutputShapes()[i])
	}
	n := 0
	for _, p := range model.Params() {
		n += len(p.Data())
	}
	fmt.Println("parameters:", n)

	// One training step on a batch of 64 blank images of class 0.
	prog, err := nn.Compile(model, nn.Training, 64, nn.SoftmaxCrossEntropy{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer prog.Close()
	for i := 0; i < 64; i++ {
		prog.Target()[i*10] = 1
	}
	if err := prog.Run(nil); err != nil {
		fmt.Println(err)
		return
	}
	// Blank images give zero logits: the loss is ln(10).
	fmt.Printf("loss: %.4f\n", prog.Loss())
	// Output:
	// conv1    [6 28 28]
	// relu1    [6 28 28]
	// pool1    [6 14 14]
	// conv2    [16 10 10]
	// relu2    [16 10 10]
	// pool2    [16 5 5]
	// flatten  [400]
	// dense1   [120]
	// relu3    [120]
	// dense2   [84]
	// relu4    [84]
	// dense3   [10]
	// parameters: 61706
	// loss: 2.3026
}
