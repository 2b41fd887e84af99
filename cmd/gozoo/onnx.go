package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/gozoo/gozoo/onnx"
	"github.com/gozoo/gozoo/zoo"
)

func runExport(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("export", stderr)
	modelPath := fs.String("model", "", "gozoo model file to export (DIR/model.safetensors)")
	out := fs.String("o", "", "ONNX file to write (model.onnx)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *modelPath == "" || *out == "" {
		return fmt.Errorf("-model FILE and -o FILE.onnx are required")
	}
	m, card, err := zoo.Load(*modelPath)
	if err != nil {
		return err
	}
	if err := onnx.ExportFile(*out, m, card); err != nil {
		return err
	}
	info, err := os.Stat(*out)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "wrote %s: %s model, ONNX IR version %d, opset %d, %d bytes\n", *out, m.Kind(), onnx.IRVersion, onnx.Opset, info.Size())
	return err
}

func runImport(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("import", stderr)
	in := fs.String("onnx", "", "ONNX file to import (a graph of layers, such as torch.onnx.export writes for a torch.nn.Sequential or a torchvision ResNet)")
	out := fs.String("o", "", "gozoo model file to write (model.safetensors)")
	dataset := fs.String("dataset", "", "the model card's dataset: mnist, cifar10 or a name of your own (default: the file's gozoo card, or mnist for an input of [784] or [1, 28, 28] with 10 outputs)")
	mean := fs.String("mean", "", "per-channel normalisation of pixel/255: comma-separated means (with -std)")
	std := fs.String("std", "", "per-channel normalisation of pixel/255: comma-separated standard deviations (with -mean)")
	classes := fs.String("classes", "", "comma-separated class names, one per output")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *in == "" || *out == "" {
		return fmt.Errorf("-onnx FILE and -o FILE.safetensors are required")
	}
	opts := onnx.ImportOptions{Dataset: *dataset}
	var err error
	if (*mean == "") != (*std == "") {
		return fmt.Errorf("give -mean and -std together")
	}
	if *mean != "" {
		if opts.Mean, err = parseFloats("mean", *mean); err != nil {
			return err
		}
		if opts.Std, err = parseFloats("std", *std); err != nil {
			return err
		}
	}
	if *classes != "" {
		opts.ClassNames = strings.Split(*classes, ",")
	}
	f, err := os.Open(*in)
	if err != nil {
		return err
	}
	m, card, err := onnx.Import(f, opts)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	if err := zoo.Save(*out, m, card); err != nil {
		return err
	}
	dataName := card.Dataset
	if dataName == "" {
		dataName = "none given"
	}
	_, err = fmt.Fprintf(stdout, "wrote %s: %s model of %d layers, input %v, %d outputs, dataset %s\n",
		*out, m.Kind(), len(m.Layers()), m.InputShape(), m.OutputShape()[0], dataName)
	return err
}

// parseFloats reads a comma-separated list of numbers.
func parseFloats(flagName, s string) ([]float32, error) {
	parts := strings.Split(s, ",")
	v := make([]float32, len(parts))
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 32)
		if err != nil {
			return nil, fmt.Errorf("-%s %q: %q is not a number", flagName, s, p)
		}
		v[i] = float32(f)
	}
	return v, nil
}
