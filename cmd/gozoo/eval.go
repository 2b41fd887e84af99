package main

import (
	"context"
	"fmt"
	"io"

	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/recipes"
	"github.com/gozoo/gozoo/viz"
	"github.com/gozoo/gozoo/zoo"
)

func runEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("eval", stderr)
	modelPath := fs.String("model", "", "model file written by gozoo train or zoo.Save (DIR/model.safetensors)")
	dataDir := fs.String("data", "", "data folder (default: as for gozoo train)")
	batch := fs.Int("batch", 256, "evaluation batch size")
	asJSON := fs.Bool("json", false, "print the result as one JSON object")
	plotPath := fs.String("plot-confusion", "", "draw the confusion matrix as a heatmap into this .png or .svg file")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *modelPath == "" {
		return fmt.Errorf("-model FILE is required")
	}
	if *batch <= 0 || *batch > 65536 {
		return fmt.Errorf("-batch must be between 1 and 65536, got %d", *batch)
	}
	m, card, err := loadWithCard(*modelPath)
	if err != nil {
		return err
	}
	d, err := card.Data(*dataDir)
	if err != nil {
		return err
	}
	rep, err := recipes.EvaluateReport(ctx, m, card, d.Test, *batch)
	if err != nil {
		return err
	}
	if *plotPath != "" {
		if rep.Confusion == nil {
			return fmt.Errorf("-plot-confusion needs a classifier; %s is a regression model", *modelPath)
		}
		if err := viz.ConfusionFile(rep.Confusion, card.ClassNames, *plotPath); err != nil {
			return err
		}
	}
	return printResult(stdout, *asJSON, rep)
}

// loadWithCard loads a model file that must carry a model card.
func loadWithCard(path string) (zoo.Model, *modelcard.Card, error) {
	m, card, err := zoo.Load(path)
	if err != nil {
		return nil, nil, err
	}
	if card == nil {
		return nil, nil, fmt.Errorf("%s has no model card (%q metadata), so how to feed it is unknown: save it with zoo.Save(path, model, card)", path, modelcard.MetadataKey)
	}
	return m, card, nil
}
