package zoo_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/gozoo/gozoo/zoo"
	"github.com/gozoo/gozoo/zoo/mlp"
)

// Save writes a model file; Load rebuilds the model from its kind and config
// alone and fills in the weights.
func Example() {
	dir, _ := os.MkdirTemp("", "zoo-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.safetensors")

	model, _ := mlp.New(mlp.Config{Inputs: 4, Hidden: []int{8}, Outputs: 3}, rand.New(rand.NewPCG(1, 0)))
	if err := zoo.Save(path, model, nil); err != nil {
		fmt.Println(err)
		return
	}
	loaded, card, err := zoo.Load(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	config, _ := loaded.ConfigJSON()
	fmt.Println(loaded.Kind(), string(config), card == nil)
	fmt.Println(loaded.Params()[0].Data()[0] == model.Params()[0].Data()[0])
	// Output:
	// mlp {"inputs":4,"hidden":[8],"outputs":3,"activation":"relu","init":"glorot_uniform"} true
	// true
}

// Summarize is Keras' model.summary(): a table as String, JSON tags.
func ExampleSummarize() {
	model, _ := mlp.New(mlp.Config{Inputs: 4, Hidden: []int{8}, Outputs: 3}, rand.New(rand.NewPCG(1, 0)))
	s, err := zoo.Summarize(model)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(s)
	// Output:
	// Model: mlp
	// Input shape: [-1, 4]
	// ====================================
	// Layer   Type   Output Shape  Param #
	// ====================================
	// dense1  Dense  [-1, 8]            40
	// relu1   ReLU   [-1, 8]             0
	// dense2  Dense  [-1, 3]            27
	// ====================================
	// Total params: 67
	// Trainable params: 67
	// Non-trainable params: 0
	// Config: {"inputs":4,"hidden":[8],"outputs":3,"activation":"relu","init":"glorot_uniform"}
}
