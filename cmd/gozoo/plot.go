package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/gozoo/gozoo/recipes"
	"github.com/gozoo/gozoo/viz"
)

func runPlot(_ context.Context, args []string, _, stderr io.Writer) error {
	fs := newFlagSet("plot", stderr)
	out := fs.String("o", "", "figure to write: a .png or .svg file")
	files, err := parseFlagsWithArgs(fs, args, stderr, "HISTORY.json -o OUT.png|OUT.svg")
	if err != nil {
		return err
	}
	switch {
	case len(files) == 0:
		return fmt.Errorf("no history file given (usage: gozoo plot HISTORY.json -o OUT.png)")
	case len(files) > 1:
		return fmt.Errorf("unexpected argument %q: plot takes one history file", files[1])
	case *out == "":
		return fmt.Errorf("-o OUT.png or OUT.svg is required")
	}
	epochs, err := readHistory(files[0])
	if err != nil {
		return err
	}
	if err := viz.HistoryFile(epochs, *out); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "plot written to %s\n", *out)
	return nil
}

// readHistory reads a history.json written by gozoo train -out and converts
// it for viz. Validation and accuracy fields are omitted from the file when
// zero, so an epoch has validation figures when it counted validation
// samples, and the run has accuracy when any epoch reports one.
func readHistory(path string) ([]viz.Epoch, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var h recipes.History
	if err := json.Unmarshal(data, &h); err != nil {
		return nil, fmt.Errorf("%s: not a training history: %v", path, err)
	}
	if len(h.Epochs) == 0 {
		return nil, fmt.Errorf("%s: history has no epochs", path)
	}
	hasAccuracy := false
	for _, e := range h.Epochs {
		hasAccuracy = hasAccuracy || e.TrainAccuracy > 0 || e.ValAccuracy > 0
	}
	epochs := make([]viz.Epoch, len(h.Epochs))
	for i, e := range h.Epochs {
		epochs[i] = viz.Epoch{
			Epoch: e.Epoch, TrainLoss: e.TrainLoss, ValLoss: e.ValLoss,
			TrainAccuracy: e.TrainAccuracy, ValAccuracy: e.ValAccuracy,
			HasVal: e.ValSamples > 0, HasAccuracy: hasAccuracy,
		}
	}
	return epochs, nil
}
