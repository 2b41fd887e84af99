package zoo

import (
	"math/rand/v2"
	"testing"

	"github.com/gozoo/gozoo/io/modelfile"
	"github.com/gozoo/gozoo/zoo/mlp"
)

// FuzzFromFile feeds arbitrary kind, config and model-card metadata (and
// the masked and quantization keys) with a real MLP's tensors to FromFile:
// an error or a model, never a panic, and the size limits hold.
func FuzzFromFile(f *testing.F) {
	m, err := mlp.New(mlp.Config{Inputs: 6, Hidden: []int{5}, Outputs: 3}, rand.New(rand.NewPCG(1, 0)))
	if err != nil {
		f.Fatal(err)
	}
	good, err := File(m, nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add("mlp", good.Metadata[KeyConfig], "", "", "")
	f.Add("mlp", good.Metadata[KeyConfig], `{"dataset":"x","shape":[6],"class_names":["a","b","c"]}`, `["dense1/weight"]`, "")
	f.Add("mlp", `{"inputs":6,"hidden":[1000000000],"outputs":3}`, "", "", "")
	f.Add("sequential", `{"input_shape":[6],"layers":[{"type":"Dense","name":"dense1","config":{"inputs":6,"outputs":5}}]}`, "", "", "")
	f.Add("lenet5", `{"input_shape":[1,100000,100000]}`, "", "", "")
	f.Add("graph", `{"inputs":[{"name":"x","shape":[6]}],"layers":[{"type":"Dense","name":"dense1","config":{"inputs":6,"outputs":3},"inputs":["x"]},{"type":"Add","name":"add","inputs":["dense1","dense1"]}],"outputs":["add"]}`, "", "", "")
	f.Add("graph", `{"inputs":[{"name":"x","shape":[6]}],"layers":[{"type":"Dense","name":"a","config":{"inputs":6,"outputs":3},"inputs":["b"]},{"type":"Dense","name":"b","config":{"inputs":3,"outputs":6},"inputs":["a"]}],"outputs":["a"]}`, "", "", "")
	f.Add("cifar-vgg", `{"channels":[1,2,3]}`, `{"dataset":"csv","shape":[6]}`, `[1]`, `{"scheme":"int8-symmetric-per-output-channel","weights":{"dense1/weight":1}}`)
	f.Fuzz(func(t *testing.T, kind, config, card, masked, quant string) {
		file := &modelfile.File{Metadata: map[string]string{KeyKind: kind, KeyConfig: config}, Tensors: good.Tensors}
		for k, v := range map[string]string{"input": card, KeyMasked: masked, KeyQuantization: quant} {
			if v != "" {
				file.Metadata[k] = v
			}
		}
		got, _, err := FromFile(file)
		if err == nil && len(got.Params()) == 0 {
			t.Fatal("a model with no parameters loaded")
		}
	})
}
