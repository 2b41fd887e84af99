package mlp

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestPresets(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cfg    Config
		params int
	}{
		// 784*128+128 + 128*64+64 + 64*10+10
		{"paddle", Paddle(), 109386},
		// 784*1024+1024 + 1024*64+64 + 64*10+10
		{"mindspore", MindSpore(), 870090},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := New(tc.cfg, rand.New(rand.NewPCG(1, 0)))
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, p := range m.Params() {
				n += len(p.Data())
			}
			if n != tc.params {
				t.Errorf("%d parameters, want %d", n, tc.params)
			}
			if got := m.OutputShape(); len(got) != 1 || got[0] != 10 {
				t.Errorf("output shape %v", got)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"zero inputs", Config{Outputs: 2}, "inputs must be positive, got 0"},
		{"zero-width layer", Config{Inputs: 4, Hidden: []int{8, 0}, Outputs: 2}, "hidden layer 2 must have a positive width, got 0"},
		{"negative outputs", Config{Inputs: 4, Outputs: -1}, "outputs must be positive, got -1"},
		{"bad activation", Config{Inputs: 4, Outputs: 2, Activation: "gelu"}, `unknown activation "gelu"`},
		{"bad init", Config{Inputs: 4, Outputs: 2, Init: "ones"}, `unknown initializer "ones"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if _, err := New(tc.cfg, rand.New(rand.NewPCG(1, 0))); err == nil {
				t.Fatal("New accepted an invalid config")
			}
		})
	}
}

// Every config field changes the model it builds.
func TestEveryFieldHasAnEffect(t *testing.T) {
	base := Config{Inputs: 5, Hidden: []int{4}, Outputs: 3, Activation: "relu", Init: "glorot_uniform"}
	build := func(c Config) *Model {
		m, err := New(c, rand.New(rand.NewPCG(1, 0)))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	ref := build(base)
	variants := map[string]Config{}
	c := base
	c.Inputs = 6
	variants["inputs"] = c
	c = base
	c.Hidden = []int{4, 4}
	variants["hidden"] = c
	c = base
	c.Outputs = 2
	variants["outputs"] = c
	c = base
	c.Activation = "tanh"
	variants["activation"] = c
	c = base
	c.Init = "he_normal"
	variants["init"] = c
	for field, cfg := range variants {
		m := build(cfg)
		a, _ := json.Marshal(layerSummary(ref))
		b, _ := json.Marshal(layerSummary(m))
		if string(a) == string(b) {
			t.Errorf("changing %s did not change the model", field)
		}
	}
}

// layerSummary lists layer names, shapes and the first weight.
func layerSummary(m *Model) []any {
	var out []any
	for i, l := range m.Layers() {
		out = append(out, l.Name(), m.LayerOutputShapes()[i])
	}
	return append(out, m.Params()[0].Data()[0], m.Params()[0].Shape())
}

func TestConfigJSONRoundTrip(t *testing.T) {
	m, _ := New(MindSpore(), rand.New(rand.NewPCG(1, 0)))
	data, err := m.ConfigJSON()
	if err != nil {
		t.Fatal(err)
	}
	var back Config
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if back.String() != "784-1024-64-10 relu" {
		t.Errorf("round trip gave %v", back)
	}
}
