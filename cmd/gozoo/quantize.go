package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/gozoo/gozoo/quantize"
	"github.com/gozoo/gozoo/recipes"
	"github.com/gozoo/gozoo/zoo"
)

func runQuantize(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("quantize", stderr)
	modelPath := fs.String("model", "", "float32 model file to quantize (with a card)")
	out := fs.String("out", "", "folder for the int8 model.safetensors")
	evaluate := fs.Bool("eval", true, "evaluate the float32 and the int8 model on the card's test set")
	dataDir := fs.String("data", "", "data folder for -eval (default: as for gozoo train)")
	asJSON := fs.Bool("json", false, "print the report as one JSON object")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	switch {
	case *modelPath == "":
		return fmt.Errorf("-model FILE is required")
	case *out == "":
		return fmt.Errorf("-out DIR is required")
	}
	if err := refuseQuantized(*modelPath, "quantize"); err != nil {
		return err
	}
	m, card, err := loadWithCard(*modelPath)
	if err != nil {
		return err
	}
	var rep *quantize.Report
	path, err := writeInto(*out, stderr, func(path string) (err error) {
		rep, err = quantize.Save(path, m, card)
		return err
	})
	if err != nil {
		return err
	}
	result := struct {
		*quantize.Report
		FloatAccuracy *float64 `json:"float_accuracy,omitempty"`
		Int8Accuracy  *float64 `json:"int8_accuracy,omitempty"`
	}{Report: rep}
	if *evaluate {
		data, err := card.Data(*dataDir)
		if err != nil {
			return err
		}
		q, _, err := zoo.Load(path)
		if err != nil {
			return err
		}
		for _, e := range []struct {
			m   zoo.Model
			dst **float64
		}{{m, &result.FloatAccuracy}, {q, &result.Int8Accuracy}} {
			ev, err := recipes.Evaluate(ctx, e.m, recipes.LossFor(card), data.Test, 256)
			if err != nil {
				return err
			}
			acc := ev.Accuracy
			*e.dst = &acc
		}
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(result)
	}
	fmt.Fprintf(stdout, "int8 weights: %d bytes of tensor data, %.2fx the float32 %d\n", rep.Int8Bytes, float64(rep.Int8Bytes)/float64(rep.FloatBytes), rep.FloatBytes)
	if result.FloatAccuracy != nil {
		fmt.Fprintf(stdout, "test accuracy: float32 %.4f, int8 %.4f\n", *result.FloatAccuracy, *result.Int8Accuracy)
	}
	return nil
}
