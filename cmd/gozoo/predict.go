package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"

	"github.com/gozoo/gozoo/io/imagein"
	"github.com/gozoo/gozoo/predict"
)

func runPredict(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("predict", stderr)
	modelPath := fs.String("model", "", "model file written by gozoo train (an MNIST or CIFAR-10 model) or zoo.Save with an image card")
	asJSON := fs.Bool("json", false, "print one JSON object per image")
	invert := fs.String("invert", "auto", "invert the grey levels: yes, no, or auto (MNIST models only: invert when the mean of the resized image's border pixels is above 0.5, i.e. dark ink on a light background; CIFAR-10 models are never inverted by auto)")
	images, err := parseFlagsWithArgs(fs, args, stderr, "-model FILE [-json] [-invert auto|yes|no] IMAGE...")
	if err != nil {
		return err
	}
	if *modelPath == "" {
		return fmt.Errorf("-model FILE is required")
	}
	inv, err := imagein.ParseInvert(*invert)
	if err != nil {
		return fmt.Errorf("-%v", err)
	}
	if len(images) == 0 {
		return fmt.Errorf("no images given (usage: gozoo predict -model FILE IMAGE...)")
	}
	m, card, err := loadWithCard(*modelPath)
	if err != nil {
		return err
	}
	if _, err := card.ImageLayout(); err != nil {
		return fmt.Errorf("%s: predict takes image models: %w (use gozoo eval)", *modelPath, err)
	}
	p, err := predict.New(m, card, predict.Options{})
	if err != nil {
		return err
	}
	defer p.Close()
	// Read every image before printing anything, so a bad file fails the
	// command without a partial result.
	decoded := make([]image.Image, len(images))
	for i, path := range images {
		if decoded[i], err = imagein.ReadFile(path); err != nil {
			return err
		}
	}
	results := make([]*predict.Classification, len(images))
	for i, img := range decoded {
		if results[i], err = p.Classify(ctx, img, predict.ClassifyOptions{TopK: 3, Invert: inv}); err != nil {
			return err
		}
	}
	w := bufio.NewWriter(stdout)
	enc := json.NewEncoder(w)
	for i, c := range results {
		if *asJSON {
			if err := enc.Encode(predictionJSON{File: images[i], Class: c.Class, ClassName: c.ClassName, Probabilities: c.Probabilities, Top3: c.Top}); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintln(w, predictionText(images[i], c))
	}
	return w.Flush()
}

// predictionJSON is one line of gozoo predict -json.
type predictionJSON struct {
	File          string               `json:"file"`
	Class         int                  `json:"class"`
	ClassName     string               `json:"class_name"`
	Probabilities []float64            `json:"probabilities"`
	Top3          []predict.ClassScore `json:"top3"`
}

func predictionText(file string, c *predict.Classification) string {
	s := fmt.Sprintf("%s: %s (p=%.3f)  top%d:", file, c.ClassName, c.Top[0].P, len(c.Top))
	for i, t := range c.Top {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprintf(" %s %.3f", t.Name, t.P)
	}
	return s
}

// parseFlagsWithArgs parses flags that may come before, between or after
// positional arguments ("--" ends the flags) and returns the positional
// arguments. usage describes the command line for -h.
func parseFlagsWithArgs(fs *flagSet, args []string, stderr io.Writer, usage string) ([]string, error) {
	var positional []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			fmt.Fprintf(stderr, "usage: gozoo %s %s\n", fs.Name(), usage)
			fs.PrintDefaults()
			return nil, err
		}
		if err != nil {
			return nil, fmt.Errorf("%v (run gozoo %s -h)", err, fs.Name())
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if consumed := args[:len(args)-len(rest)]; len(consumed) > 0 && consumed[len(consumed)-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}
