package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/gozoo/gozoo/io/modelfile"
	"github.com/gozoo/gozoo/modelcard"
)

// debianFashionMNIST is where Debian's dataset-fashion-mnist installs the
// data, which gozoo train finds with no -data.
const debianFashionMNIST = "/usr/share/datasets/fashion-mnist"

// Train on the real Fashion-MNIST found where Debian's package puts it,
// then evaluate the saved model on its test set: the card names the
// dataset and its classes. One epoch of the MLP takes about a second.
func TestTrainEvalFashionMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on Fashion-MNIST")
	}
	if _, err := os.Stat(debianFashionMNIST); err != nil {
		t.Skipf("no %s (apt-get install dataset-fashion-mnist): %v", debianFashionMNIST, err)
	}
	dir := t.TempDir()
	out, stderr, code := runGozoo(t, "train", "-model", "mlp", "-dataset", "fashion-mnist", "-epochs", "1", "-batch", "256", "-json", "-quiet", "-out", dir)
	if code != 0 {
		t.Fatalf("train: status %d: %s", code, stderr)
	}
	epochs := readJSONLines(t, out)
	// One epoch of the MLP reaches about 0.83 (0.8263 with seed 1).
	if len(epochs) != 1 || epochs[0]["test_samples"] != 10000 || epochs[0]["test_accuracy"] < 0.75 {
		t.Fatalf("epochs %v", epochs)
	}
	model := filepath.Join(dir, "model.safetensors")
	checkFashionCard(t, model)

	out, stderr, code = runGozoo(t, "eval", "-model", model, "-json")
	if code != 0 {
		t.Fatalf("eval: status %d: %s", code, stderr)
	}
	var ev struct {
		Accuracy float64 `json:"accuracy"`
		Samples  int     `json:"samples"`
		Report   struct {
			Classes []struct {
				Name string `json:"name"`
			} `json:"classes"`
		} `json:"report"`
	}
	if err := json.Unmarshal([]byte(out), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Accuracy != epochs[0]["test_accuracy"] || ev.Samples != 10000 || len(ev.Report.Classes) != 10 || ev.Report.Classes[0].Name != "T-shirt/top" {
		t.Errorf("eval: accuracy %v over %d samples, classes %v; train reported %v", ev.Accuracy, ev.Samples, ev.Report.Classes, epochs[0]["test_accuracy"])
	}

	// A resumed run goes on with the same data: its card says so.
	if _, stderr, code = runGozoo(t, "train", "-resume", dir, "-epochs", "2", "-quiet"); code != 0 {
		t.Fatalf("resume: status %d: %s", code, stderr)
	}
	checkFashionCard(t, model)
}

// checkFashionCard fails t unless the model file's card is the
// Fashion-MNIST card of a flat MLP.
func checkFashionCard(t *testing.T, path string) {
	t.Helper()
	f, err := modelfile.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	card, ok, err := modelcard.FromMetadata(f.Metadata)
	if !ok || err != nil {
		t.Fatalf("%s: model card: %v, %v", path, ok, err)
	}
	if want := modelcard.FashionMNIST([]int{784}); !reflect.DeepEqual(card, want) {
		t.Errorf("%s: card %+v, want %+v", path, card, want)
	}
}
