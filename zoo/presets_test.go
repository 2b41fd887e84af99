package zoo

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/gozoo/gozoo/modelcard"
)

// Every preset builds for every dataset it declares, with that dataset's
// input shape reaching the model and its card; the first is the default.
func TestPresetDatasets(t *testing.T) {
	want := map[string][]string{
		"mlp":           {"mnist", "fashion-mnist"},
		"mlp-mindspore": {"mnist", "fashion-mnist"},
		"lenet5":        {"mnist", "fashion-mnist"},
		"cifar-vgg":     {"cifar10"},
	}
	for _, p := range Presets() {
		if names, ok := want[p.Name]; ok && !reflect.DeepEqual(p.DatasetNames(), names) {
			t.Errorf("%s trains on %v, want %v", p.Name, p.DatasetNames(), names)
		}
		if len(p.Datasets) == 0 || p.Dataset != p.Datasets[0].Dataset || !reflect.DeepEqual(p.InputShape, p.Datasets[0].InputShape) {
			t.Errorf("%s: default %s %v is not the first of %v", p.Name, p.Dataset, p.InputShape, p.Datasets)
			continue
		}
		if same, err := p.ForDataset(""); err != nil || same.Dataset != p.Dataset {
			t.Errorf(`%s: ForDataset("") gives %s, %v`, p.Name, same.Dataset, err)
		}
		for _, d := range p.Datasets {
			q, err := p.ForDataset(d.Dataset)
			if err != nil || q.Dataset != d.Dataset || !reflect.DeepEqual(q.InputShape, d.InputShape) {
				t.Errorf("%s on %s: %s %v, %v", p.Name, d.Dataset, q.Dataset, q.InputShape, err)
				continue
			}
			m, err := q.Build(rand.New(rand.NewPCG(1, 0)))
			if err != nil {
				t.Errorf("%s on %s: %v", p.Name, d.Dataset, err)
				continue
			}
			if !reflect.DeepEqual(m.InputShape(), d.InputShape) {
				t.Errorf("%s on %s: the model takes %v, want %v", p.Name, d.Dataset, m.InputShape(), d.InputShape)
			}
			if d.Dataset == modelcard.CIFAR10Dataset {
				continue // its card is fitted on the data
			}
			card, err := q.Card("")
			if err != nil || card.Dataset != d.Dataset {
				t.Fatalf("%s on %s: card %+v, %v", p.Name, d.Dataset, card, err)
			}
			if err := card.CheckModel(m.InputShape(), m.OutputShape()[0]); err != nil {
				t.Errorf("%s on %s: %v", p.Name, d.Dataset, err)
			}
		}
	}
}

func TestPresetRefusesOtherDatasets(t *testing.T) {
	for _, tc := range []struct{ preset, dataset, want string }{
		{"lenet5", "cifar10", `zoo: lenet5 does not train on "cifar10" (it takes mnist, fashion-mnist)`},
		{"mlp-paddle", "csv", `zoo: mlp does not train on "csv" (it takes mnist, fashion-mnist)`},
		{"cifar-vgg", "fashion-mnist", `zoo: cifar-vgg does not train on "fashion-mnist" (it takes cifar10)`},
	} {
		p, err := PresetNamed(tc.preset)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.ForDataset(tc.dataset); err == nil || err.Error() != tc.want {
			t.Errorf("%s on %s: %v, want %s", tc.preset, tc.dataset, err, tc.want)
		}
	}
	if _, err := (Preset{Name: "mine"}).Build(rand.New(rand.NewPCG(1, 0))); err == nil {
		t.Error("a preset not from Presets built")
	}
}
