package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"

	"github.com/gozoo/gozoo/nn"
	"github.com/gozoo/gozoo/zoo"
	"github.com/gozoo/gozoo/zoo/cnn"
)

func runSummary(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("summary", stderr)
	modelPath := fs.String("model", "", "model file to describe")
	arch := fs.String("arch", "", "architecture to describe, built as gozoo train builds it (seed 0): mlp, mlp-paddle, mlp-mindspore, lenet5, cifar-vgg")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if (*modelPath == "") == (*arch == "") {
		return fmt.Errorf("give exactly one of -model FILE and -arch NAME")
	}
	var m zoo.Model
	var err error
	if *modelPath != "" {
		m, _, err = zoo.Load(*modelPath)
	} else {
		m, err = buildArch(*arch)
	}
	if err != nil {
		return err
	}
	s, err := summarize(m)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(s)
	}
	_, err = io.WriteString(stdout, s.text())
	return err
}

// buildArch builds a -model preset of gozoo train with seed 0. cifar-vgg is
// built here because train also measures its data's normalisation, which a
// summary does not need.
func buildArch(name string) (zoo.Model, error) {
	switch name {
	case "cifar-vgg":
		return cnn.NewVGG(cnn.VGGConfig{InputShape: [3]int{3, 32, 32}, Classes: 10}, rand.New(rand.NewPCG(0, 0)))
	case "mlp", "mlp-paddle", "mlp-mindspore", "lenet5":
		f := trainFlags{model: name, seed: 0}
		_, m, err := f.buildModel()
		return m, err
	}
	return nil, fmt.Errorf("unknown -arch %q (want mlp, mlp-paddle, mlp-mindspore, lenet5 or cifar-vgg)", name)
}

// layered is a model made of a sequence of layers (every built-in kind
// embeds *nn.Sequential).
type layered interface {
	Layers() []nn.Layer
	LayerOutputShapes() [][]int
}

// modelSummary is what gozoo summary reports.
type modelSummary struct {
	Kind               string          `json:"kind"`
	Config             json.RawMessage `json:"config"`
	InputShape         []int           `json:"input_shape"`
	Layers             []layerSummary  `json:"layers"`
	TotalParams        int             `json:"total_params"`
	TrainableParams    int             `json:"trainable_params"`
	NonTrainableParams int             `json:"non_trainable_params"`
}

type layerSummary struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	OutputShape []int  `json:"output_shape"` // batch dimension first, as -1
	Params      int    `json:"params"`
	Trainable   int    `json:"trainable_params"`
}

func summarize(m zoo.Model) (*modelSummary, error) {
	seq, ok := m.(layered)
	if !ok {
		return nil, fmt.Errorf("model kind %q has no layer list", m.Kind())
	}
	cfg, err := m.ConfigJSON()
	if err != nil {
		return nil, fmt.Errorf("config of %s: %w", m.Kind(), err)
	}
	s := &modelSummary{Kind: m.Kind(), Config: cfg, InputShape: batchShape(m.InputShape())}
	shapes := seq.LayerOutputShapes()
	for i, l := range seq.Layers() {
		ls := layerSummary{Name: l.Name(), Type: layerType(l, shapes[i]), OutputShape: batchShape(shapes[i])}
		for _, p := range l.Params() {
			n := len(p.Data())
			ls.Params += n
			if p.Trainable {
				ls.Trainable += n
			}
		}
		s.Layers = append(s.Layers, ls)
		s.TotalParams += ls.Params
		s.TrainableParams += ls.Trainable
	}
	s.NonTrainableParams = s.TotalParams - s.TrainableParams
	return s, nil
}

// batchShape prefixes a per-sample shape with -1 for the batch.
func batchShape(shape []int) []int { return append([]int{-1}, shape...) }

// layerType names a layer's type as Keras and Paddle do.
func layerType(l nn.Layer, out []int) string {
	switch l := l.(type) {
	case *nn.Dense:
		return "Dense"
	case *nn.Conv2D:
		return "Conv2D"
	case *nn.Flatten:
		return "Flatten"
	case *nn.Dropout:
		return "Dropout"
	case *nn.BatchNorm:
		if len(out) == 3 {
			return "BatchNorm2D"
		}
		return "BatchNorm1D"
	case *nn.Pool2D:
		if l.Kind() == nn.AvgPool {
			return "AvgPool2D"
		}
		return "MaxPool2D"
	case *nn.Activation:
		switch l.Kind() {
		case nn.ReLU:
			return "ReLU"
		case nn.Tanh:
			return "Tanh"
		case nn.Sigmoid:
			return "Sigmoid"
		case nn.Softmax:
			return "Softmax"
		}
		return l.Kind()
	}
	t := fmt.Sprintf("%T", l)
	return t[strings.LastIndex(t, ".")+1:]
}

func (s *modelSummary) text() string {
	header := []string{"Layer", "Type", "Output Shape", "Param #"}
	rows := make([][]string, len(s.Layers))
	widths := []int{len(header[0]), len(header[1]), len(header[2]), len(header[3])}
	for i, l := range s.Layers {
		rows[i] = []string{l.Name, l.Type, shapeString(l.OutputShape), thousands(l.Params)}
		for j, cell := range rows[i] {
			widths[j] = max(widths[j], len(cell))
		}
	}
	line := func(cells []string) string {
		// Names and types left-aligned, numbers right-aligned.
		return fmt.Sprintf("%-*s  %-*s  %-*s  %*s\n", widths[0], cells[0], widths[1], cells[1], widths[2], cells[2], widths[3], cells[3])
	}
	total := widths[0] + widths[1] + widths[2] + widths[3] + 6
	var b strings.Builder
	fmt.Fprintf(&b, "Model: %s\nInput shape: %s\n", s.Kind, shapeString(s.InputShape))
	b.WriteString(strings.Repeat("=", total) + "\n")
	b.WriteString(line(header))
	b.WriteString(strings.Repeat("=", total) + "\n")
	for _, r := range rows {
		b.WriteString(line(r))
	}
	b.WriteString(strings.Repeat("=", total) + "\n")
	fmt.Fprintf(&b, "Total params: %s\nTrainable params: %s\nNon-trainable params: %s\n",
		thousands(s.TotalParams), thousands(s.TrainableParams), thousands(s.NonTrainableParams))
	fmt.Fprintf(&b, "Config: %s\n", s.Config)
	return b.String()
}

// shapeString writes a shape as [-1, 128].
func shapeString(shape []int) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = fmt.Sprint(d)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// thousands writes n with comma separators: 109,386.
func thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
