package onnx_test

import (
	"bytes"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"strings"

	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/nn"
	"github.com/gozoo/gozoo/onnx"
)

// A PyTorch nn.Sequential exported with torch.onnx.export becomes a gozoo
// model; an input of MNIST's shape gets MNIST's card (pixels/255).
func ExampleImport() {
	f, err := os.Open("testdata/torch/lenet5.onnx")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	model, card, err := onnx.Import(f, onnx.ImportOptions{})
	if err != nil {
		log.Fatal(err)
	}
	for i, l := range model.Layers() {
		fmt.Println(nn.TypeOf(l), l.Name(), model.LayerOutputShapes()[i])
	}
	fmt.Println(card.Dataset, card.Shape, len(card.ClassNames), "classes")
	// Output:
	// Conv2D conv1 [6 28 28]
	// ReLU relu1 [6 28 28]
	// MaxPool2D pool1 [6 14 14]
	// Conv2D conv2 [16 10 10]
	// ReLU relu2 [16 10 10]
	// MaxPool2D pool2 [16 5 5]
	// Flatten flatten1 [400]
	// Dense dense1 [120]
	// ReLU relu3 [120]
	// Dense dense2 [84]
	// ReLU relu4 [84]
	// Dense dense3 [10]
	// mnist [1 28 28] 10 classes
}

// Export writes the model and its card; Import reads both back. Layers get
// gozoo's names on import (conv1, dense1, ...), whatever the file calls them.
func ExampleExport() {
	rng := rand.New(rand.NewPCG(1, 2))
	model, err := nn.NewBuilder([]int{1, 8, 8}, rng).
		Conv2D("features", 4, 3, 1).ReLU("act").MaxPool2D("down", 2).Flatten("flat").Dense("classify", 3).Build()
	if err != nil {
		log.Fatal(err)
	}
	card := &modelcard.Card{Dataset: "toy", Shape: []int{1, 8, 8}, ClassNames: []string{"cat", "dog", "fox"},
		Mean: []float32{0.5}, Std: []float32{0.25}}
	var buf bytes.Buffer
	if err := onnx.Export(model, card, &buf); err != nil {
		log.Fatal(err)
	}
	back, backCard, err := onnx.Import(&buf, onnx.ImportOptions{})
	if err != nil {
		log.Fatal(err)
	}
	var layers []string
	for _, l := range back.Layers() {
		layers = append(layers, nn.TypeOf(l)+" "+l.Name())
	}
	fmt.Println(strings.Join(layers, "; "))
	fmt.Println(backCard.Dataset, backCard.ClassNames, backCard.Mean, backCard.Std)
	// Output:
	// Conv2D conv1; ReLU relu1; MaxPool2D pool1; Flatten flatten1; Dense dense1
	// toy [cat dog fox] [0.5] [0.25]
}
