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
