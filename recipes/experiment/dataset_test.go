package experiment

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/internal/testutil"
	"github.com/gozoo/gozoo/modelcard"
)

// A preset trained on another dataset than its default: the dataset picks
// the card and the input shape, the card records it, and a resumed run
// keeps it.
func TestPresetOnFashionMNIST(t *testing.T) {
	data, out := testutil.IDXFolder(t, 20, 10), t.TempDir()
	s, err := PresetSettings("lenet5")
	if err != nil {
		t.Fatal(err)
	}
	s.Dataset, s.DataDir, s.Epochs, s.BatchSize, s.Out = modelcard.FashionMNISTDataset, data, 1, 10, out
	e, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	want := modelcard.FashionMNIST([]int{1, 28, 28})
	if !reflect.DeepEqual(e.Card, want) || e.Data.Train.Len() != 20 {
		t.Errorf("card %+v with %d training images, want %+v", e.Card, e.Data.Train.Len(), want)
	}
	_, err = e.Fit(context.Background(), FitOptions{})
	e.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Resume(out, 2, func(s *Settings) { s.Dataset = modelcard.MNISTDataset }); err == nil || !strings.Contains(err.Error(), "dataset cannot be changed on resume") {
		t.Errorf("changing the dataset on resume: %v", err)
	}
	r, err := Resume(out, 2, func(s *Settings) { s.DataDir = data })
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Settings.Dataset != modelcard.FashionMNISTDataset || !reflect.DeepEqual(r.Card, want) {
		t.Errorf("resumed on %q with card %+v", r.Settings.Dataset, r.Card)
	}
}

func TestDatasetRefused(t *testing.T) {
	s, _ := PresetSettings("cifar-vgg")
	s.Dataset = modelcard.FashionMNISTDataset
	if _, err := New(s); err == nil || err.Error() != `zoo: cifar-vgg does not train on "fashion-mnist" (it takes cifar10)` {
		t.Errorf("cifar-vgg on Fashion-MNIST: %v", err)
	}
	s = TableSettings("iris")
	s.Dataset = modelcard.MNISTDataset
	var se *SettingError
	if err := s.Validate(); !errors.As(err, &se) || se.Setting != "dataset" {
		t.Errorf("a table with a dataset: %v", err)
	}
}
