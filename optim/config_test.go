package optim

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestConfigRoundTrip(t *testing.T) {
	for _, name := range []string{"adam", "adamw", "adagrad", "momentum", "nesterov", "rmsprop", "sgd"} {
		t.Run(name, func(t *testing.T) {
			o, err := New(name, Common{LearningRate: 0.05, WeightDecay: 0.001})
			if err != nil {
				t.Fatal(err)
			}
			c, err := ConfigOf(o)
			if err != nil {
				t.Fatal(err)
			}
			if c.Kind != name {
				t.Errorf("kind %q, want %q", c.Kind, name)
			}
			var fields map[string]any
			if err := json.Unmarshal(c.Settings, &fields); err != nil {
				t.Fatal(err)
			}
			if fields["learning_rate"] != 0.05 || fields["weight_decay"] != 0.001 {
				t.Errorf("settings %s lost the learning rate or weight decay", c.Settings)
			}
			back, err := FromConfig(c)
			if err != nil {
				t.Fatal(err)
			}
			c2, _ := ConfigOf(back)
			if string(c2.Settings) != string(c.Settings) || c2.Kind != c.Kind {
				t.Errorf("round trip gave %s %s, want %s %s", c2.Kind, c2.Settings, c.Kind, c.Settings)
			}
		})
	}
}

func TestFromConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		c    Config
		want string
	}{
		{Config{Kind: "lion", Settings: []byte(`{}`)}, `unknown optimizer "lion"`},
		{Config{Kind: "adam", Settings: []byte(`{"learning_rate": -1}`)}, "learning"},
		{Config{Kind: "adam", Settings: []byte(`{"momentum": 0.9}`)}, `unknown field "momentum"`},
		{Config{Kind: "momentum", Settings: []byte(`{"nesterov": true}`)}, "does not match"},
		{Config{Kind: "sgd", Settings: []byte(`[`)}, "sgd settings"},
	} {
		_, err := FromConfig(tc.c)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("FromConfig(%s %s) error %v, want one containing %q", tc.c.Kind, tc.c.Settings, err, tc.want)
		}
	}
}

func TestRegistry(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range Kinds() {
		if seen[k.Name] || k.Summary == "" {
			t.Errorf("kind %q repeated or undocumented", k.Name)
		}
		seen[k.Name] = true
		o, err := k.New(Common{LearningRate: 0.25, WeightDecay: 0.125})
		if err != nil {
			t.Fatal(err)
		}
		c, err := ConfigOf(o)
		if err != nil || c.Kind != k.Name {
			t.Errorf("%s builds an optimizer of kind %q (%v)", k.Name, c.Kind, err)
		}
		if lr, err := BaseLearningRate(o); err != nil || lr != 0.25 || o.LearningRate() != 0.25 {
			t.Errorf("%s: base rate %v, rate %v, %v", k.Name, lr, o.LearningRate(), err)
		}
		var s struct {
			WeightDecay float64 `json:"weight_decay"`
		}
		if err := json.Unmarshal(c.Settings, &s); err != nil || s.WeightDecay != 0.125 {
			t.Errorf("%s: weight decay %v in %s", k.Name, s.WeightDecay, c.Settings)
		}
		// Zero common settings take the kind's defaults.
		d, err := New(k.Name, Common{})
		if err != nil {
			t.Fatal(err)
		}
		want := 0.01
		if k.Name == "adam" || k.Name == "adamw" {
			want = 0.001
		}
		if d.LearningRate() != want {
			t.Errorf("%s: default rate %v, want %v", k.Name, d.LearningRate(), want)
		}
	}
	if strings.Join(KindNames(), ",") != "adam,adamw,adagrad,momentum,nesterov,rmsprop,sgd" {
		t.Errorf("names %v", KindNames())
	}
	aw, _ := New("adamw", Common{})
	if c, _ := ConfigOf(aw); !strings.Contains(string(c.Settings), `"weight_decay":0.01`) {
		t.Errorf("adamw's default decoupled decay: %s", c.Settings)
	}
}
