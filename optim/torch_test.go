package optim

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/gozoo/gozoo/internal/testutil"
)

// torchReference is testdata/torch_reference.json, written by
// scripts/torch_optim_reference.py from torch.optim.
type torchReference struct {
	Source string `json:"source"`
	Params []struct {
		Name  string    `json:"name"`
		Shape []int     `json:"shape"`
		Value []float32 `json:"value"`
	} `json:"params"`
	Grads [][][]float32 `json:"grads"` // [step][param][element]
	Cases []struct {
		Name     string               `json:"name"`
		Kind     string               `json:"kind"`
		Settings json.RawMessage      `json:"settings"`
		LRs      []float64            `json:"lrs"`   // per step; absent for a constant rate
		Steps    [][][]float64        `json:"steps"` // [step][param][element] after the step
		State    map[string][]float64 `json:"state"`
	} `json:"cases"`
}

// TestTorchReference runs every optimizer for three steps on the problem of
// scripts/torch_optim_reference.py and compares parameters after each step
// and the final state with torch.optim's to 1e-6.
func TestTorchReference(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "torch_reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref torchReference
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Cases) < len(allKinds())*2 {
		t.Fatalf("%s: only %d cases", ref.Source, len(ref.Cases))
	}
	for _, c := range ref.Cases {
		t.Run(c.Name, func(t *testing.T) {
			o, err := FromConfig(Config{Kind: c.Kind, Settings: c.Settings})
			if err != nil {
				t.Fatal(err)
			}
			params := make([]Param, len(ref.Params))
			for i, p := range ref.Params {
				params[i] = Param{Name: p.Name, Shape: p.Shape, Value: append([]float32(nil), p.Value...), Grad: make([]float32, len(p.Value))}
			}
			for k, grads := range ref.Grads {
				if c.LRs != nil {
					o.SetLearningRate(c.LRs[k])
				}
				for i := range params {
					copy(params[i].Grad, grads[i])
				}
				if err := o.Step(params); err != nil {
					t.Fatal(err)
				}
				for i, p := range params {
					testutil.AllClose(t, p.Name+" after step "+string(rune('1'+k)), float64s(p.Value), c.Steps[k][i], 1e-6, 0)
				}
			}
			s := o.State()
			if s.Kind != c.Kind || s.Step != int64(len(ref.Grads)) || len(s.Tensors) != len(c.State) {
				t.Fatalf("state kind %s, step %d, %d tensors; want %s, %d, %d", s.Kind, s.Step, len(s.Tensors), c.Kind, len(ref.Grads), len(c.State))
			}
			for _, tensor := range s.Tensors {
				want, ok := c.State[tensor.Name]
				if !ok {
					t.Errorf("torch has no state %q", tensor.Name)
					continue
				}
				testutil.AllClose(t, tensor.Name, float64s(tensor.Data), want, 1e-6, 1e-5)
			}
		})
	}
}

func float64s(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}
