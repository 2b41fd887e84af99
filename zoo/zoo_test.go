package zoo

import (
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/io/modelfile"
	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/nn"
	"github.com/gozoo/gozoo/zoo/mlp"
)

func newMLP(t *testing.T, cfg mlp.Config, seed uint64) *mlp.Model {
	t.Helper()
	m, err := mlp.New(cfg, rand.New(rand.NewPCG(seed, 0)))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSaveLoadRoundTripsEveryBit(t *testing.T) {
	m := newMLP(t, mlp.Config{Inputs: 6, Hidden: []int{5, 4}, Outputs: 3, Activation: "tanh"}, 3)
	m.Params()[1].Data()[2] = float32(math.Inf(-1)) // odd values survive too
	path := filepath.Join(t.TempDir(), "m.safetensors")
	card := &modelcard.Card{Dataset: "mine", Shape: []int{6}, ClassNames: []string{"a", "b", "c"}}
	file, err := File(m, card, map[string]string{"note": "hi"})
	if err != nil {
		t.Fatal(err)
	}
	if err := modelfile.WriteFileAtomic(path, file); err != nil {
		t.Fatal(err)
	}
	got, gotCard, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := modelfile.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Metadata["note"] != "hi" || f.Metadata[KeyKind] != "mlp" {
		t.Errorf("metadata = %v", f.Metadata)
	}
	if !reflect.DeepEqual(gotCard, card) {
		t.Errorf("card %+v, want %+v", gotCard, card)
	}
	if got.(*mlp.Model).Config.String() != m.Config.String() {
		t.Errorf("config %v, want %v", got.(*mlp.Model).Config, m.Config)
	}
	want := m.Params()
	for i, p := range got.Params() {
		if p.Name != want[i].Name {
			t.Fatalf("param %d is %s, want %s", i, p.Name, want[i].Name)
		}
		for j, v := range p.Data() {
			if math.Float32bits(v) != math.Float32bits(want[i].Data()[j]) {
				t.Fatalf("%s[%d] = %v, want %v", p.Name, j, v, want[i].Data()[j])
			}
		}
	}
}

func TestLoadErrors(t *testing.T) {
	m := newMLP(t, mlp.Paddle(), 1)
	good, err := File(m, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(f *modelfile.File)
		want string
	}{
		{"unknown kind", func(f *modelfile.File) { f.Metadata[KeyKind] = "resnet9000" }, `unknown model kind "resnet9000"`},
		{"no kind", func(f *modelfile.File) { delete(f.Metadata, KeyKind) }, "not a gozoo model file"},
		{"bad config", func(f *modelfile.File) { f.Metadata[KeyConfig] = `{"inputs": "many"}` }, "mlp config"},
		{"unknown config field", func(f *modelfile.File) {
			f.Metadata[KeyConfig] = `{"inputs":784,"hidden":[128,64],"outputs":10,"depth":3}`
		}, `unknown field "depth"`},
		{"invalid config", func(f *modelfile.File) {
			f.Metadata[KeyConfig] = `{"inputs":784,"hidden":[0],"outputs":10}`
		}, "hidden layer 1 must have a positive width"},
		{"other architecture", func(f *modelfile.File) {
			f.Metadata[KeyConfig] = `{"inputs":784,"hidden":[32],"outputs":10}`
		}, "not in model: dense3/bias, dense3/weight; shape mismatch: dense1/weight: model [784 32], file [784 128]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &modelfile.File{Metadata: map[string]string{}, Tensors: good.Tensors}
			for k, v := range good.Metadata {
				f.Metadata[k] = v
			}
			tc.edit(f)
			_, _, err := FromFile(f)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestSetWeightsReportsEveryMismatchAndChangesNothing(t *testing.T) {
	m := newMLP(t, mlp.Config{Inputs: 4, Hidden: []int{3}, Outputs: 2}, 1)
	before := append([]float32(nil), m.Params()[0].Data()...)
	f := &modelfile.File{Tensors: []modelfile.Tensor{
		{Name: "dense1/weight", Shape: []int{4, 3}, Data: make([]float32, 12)},
		{Name: "dense1/bias", Shape: []int{4}, Data: make([]float32, 4)},
		{Name: "extra", Shape: []int{1}, Data: []float32{1}},
		{Name: "optim/dense1/weight/m", Shape: []int{4, 3}, Data: make([]float32, 12)},
	}}
	err := SetWeights(m, f)
	var mm *MismatchError
	if !errors.As(err, &mm) {
		t.Fatalf("error %v, want a *MismatchError", err)
	}
	if strings.Join(mm.Missing, ",") != "dense2/weight,dense2/bias" || strings.Join(mm.Unexpected, ",") != "extra" || len(mm.Shapes) != 1 {
		t.Errorf("mismatch = %+v", mm)
	}
	for i, v := range m.Params()[0].Data() {
		if v != before[i] {
			t.Fatal("a failed SetWeights changed the model")
		}
	}
}

// A user-defined model loads weights by name through LoadWeights.
func TestLoadWeightsIntoUserModel(t *testing.T) {
	src := newMLP(t, mlp.Config{Inputs: 3, Outputs: 2}, 5)
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := Save(path, src, nil); err != nil {
		t.Fatal(err)
	}
	d, err := nn.NewDense("dense1", 3, 2, nn.Zeros, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		t.Fatal(err)
	}
	user, _ := nn.NewSequential([]int{3}, d)
	if err := LoadWeights(path, user); err != nil {
		t.Fatal(err)
	}
	if d.Weight.Data()[4] != src.Params()[0].Data()[4] {
		t.Error("weights not loaded")
	}
}

func TestEveryKindRoundTrips(t *testing.T) {
	for _, kind := range Kinds() {
		t.Run(kind, func(t *testing.T) {
			var cfg string
			switch kind {
			case "mlp":
				cfg = `{"inputs":6,"hidden":[4],"outputs":3}`
			case "sequential":
				cfg = `{"input_shape":[1,12,12],"layers":[
					{"type":"Conv2D","name":"conv","config":{"in_channels":1,"out_channels":4,"kernel":[3,3],"stride":[1,1],"padding":[1,1],"bias":false}},
					{"type":"BatchNorm2D","name":"bn","config":{"size":4}},
					{"type":"ReLU","name":"relu"},
					{"type":"MaxPool2D","name":"pool","config":{"kernel":[2,2],"stride":[2,2],"padding":[0,0]}},
					{"type":"AvgPool2D","name":"avg","config":{"kernel":[2,2],"stride":[2,2],"padding":[0,0]}},
					{"type":"Flatten","name":"flat"},
					{"type":"Dropout","name":"drop","config":{"rate":0.5}},
					{"type":"Dense","name":"out","config":{"inputs":36,"outputs":3,"init":"he_normal"}}]}`
			case "graph":
				cfg = `{"name":"tiny","inputs":[{"name":"image","shape":[2,8,8]}],"layers":[
					{"type":"Conv2D","name":"conv","config":{"in_channels":2,"out_channels":4,"kernel":[3,3],"stride":[2,2],"padding":[1,1],"bias":false},"inputs":["image"]},
					{"type":"BatchNorm2D","name":"bn","config":{"size":4},"inputs":["conv"]},
					{"type":"Conv2D","name":"proj","config":{"in_channels":2,"out_channels":4,"kernel":[1,1],"stride":[2,2],"padding":[0,0],"bias":true},"inputs":["image"]},
					{"type":"Add","name":"add","inputs":["bn","proj"]},
					{"type":"Concatenate","name":"cat","config":{"axis":0},"inputs":["add","proj"]},
					{"type":"GlobalAveragePooling2D","name":"gap","inputs":["cat"]},
					{"type":"Dense","name":"out","config":{"inputs":8,"outputs":3},"inputs":["gap"]}],"outputs":["out"]}`
			default:
				cfg = `{}`
			}
			m, err := New(kind, []byte(cfg), rand.New(rand.NewPCG(1, 2)))
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), kind+".safetensors")
			if err := Save(path, m, nil); err != nil {
				t.Fatal(err)
			}
			got, _, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if got.Kind() != kind || len(got.Params()) != len(m.Params()) {
				t.Fatalf("loaded %s with %d params, want %s with %d", got.Kind(), len(got.Params()), kind, len(m.Params()))
			}
			a, _ := m.ConfigJSON()
			b, _ := got.ConfigJSON()
			if string(a) != string(b) {
				t.Errorf("config %s after a round trip, want %s", b, a)
			}
			for i, p := range got.Params() {
				for j, v := range p.Data() {
					if math.Float32bits(v) != math.Float32bits(m.Params()[i].Data()[j]) {
						t.Fatalf("%s[%d] differs after a round trip", p.Name, j)
					}
				}
			}
		})
	}
}
