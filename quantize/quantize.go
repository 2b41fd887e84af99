package quantize

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/gozoo/gozoo/io/modelfile"
	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/nn"
	"github.com/gozoo/gozoo/zoo"
)

// Weight is one quantized weight in a Report.
type Weight struct {
	Param    string `json:"param"`
	Channels int    `json:"channels"`
	// MaxError is the largest |w - q*scale| over the weight: at most half
	// a channel's scale.
	MaxError float64 `json:"max_error"`
}

// Report describes a quantized file.
type Report struct {
	Weights []Weight `json:"weights"`
	// Bytes of tensor data: the float32 model's and the quantized file's.
	FloatBytes int `json:"float_bytes"`
	Int8Bytes  int `json:"int8_bytes"`
}

// File returns m as a model file with int8 weights (see the package doc).
func File(m zoo.Model, card *modelcard.Card) (*modelfile.File, *Report, error) {
	axes, err := weightAxes(m)
	if err != nil {
		return nil, nil, err
	}
	f, err := zoo.File(m, card, nil)
	if err != nil {
		return nil, nil, err
	}
	q := zoo.Quantization{Scheme: zoo.Int8Scheme, Weights: map[string]int{}}
	rep := &Report{}
	var tensors []modelfile.Tensor
	for _, t := range f.Tensors {
		rep.FloatBytes += 4 * len(t.Data)
		axis, ok := axes[t.Name]
		if !ok {
			tensors = append(tensors, t)
			rep.Int8Bytes += 4 * len(t.Data)
			continue
		}
		qt, scale, w := quantizeTensor(t, axis)
		tensors = append(tensors, qt, scale)
		rep.Int8Bytes += len(qt.Int8) + 4*len(scale.Data)
		rep.Weights = append(rep.Weights, w)
		q.Weights[t.Name] = axis
	}
	meta, _ := json.Marshal(q) // plain data: cannot fail
	f.Metadata[zoo.KeyQuantization] = string(meta)
	f.Tensors = tensors
	return f, rep, nil
}

// Save writes File(m, card) to path atomically.
func Save(path string, m zoo.Model, card *modelcard.Card) (*Report, error) {
	f, rep, err := File(m, card)
	if err != nil {
		return nil, err
	}
	return rep, modelfile.WriteFileAtomic(path, f)
}

// weightAxes maps each Dense and Conv2D weight to its output-channel axis:
// 1 for Dense ([in, out]), 0 for Conv2D ([out, in, kh, kw]).
func weightAxes(m zoo.Model) (map[string]int, error) {
	layered, ok := m.(interface{ Layers() []nn.Layer })
	if !ok {
		return nil, fmt.Errorf("quantize: the model has no layer list")
	}
	axes := map[string]int{}
	for _, l := range layered.Layers() {
		switch l := l.(type) {
		case *nn.Dense:
			axes[l.Weight.Name] = 1
		case *nn.Conv2D:
			axes[l.Weight.Name] = 0
		}
	}
	if len(axes) == 0 {
		return nil, fmt.Errorf("quantize: the model has no Dense or Conv2D weights")
	}
	return axes, nil
}

// quantizeTensor returns the I8 tensor, its scale tensor and the error.
func quantizeTensor(t modelfile.Tensor, axis int) (modelfile.Tensor, modelfile.Tensor, Weight) {
	channels := t.Shape[axis]
	inner := 1
	for _, d := range t.Shape[axis+1:] {
		inner *= d
	}
	channel := func(i int) int { return (i / inner) % channels }
	maxAbs := make([]float64, channels)
	for i, v := range t.Data {
		c := channel(i)
		maxAbs[c] = math.Max(maxAbs[c], math.Abs(float64(v)))
	}
	scales := make([]float32, channels)
	for c, m := range maxAbs {
		scales[c] = float32(m / 127)
		if scales[c] == 0 {
			scales[c] = 1 // an all-zero channel: any scale gives zeros
		}
	}
	q := make([]int8, len(t.Data))
	w := Weight{Param: t.Name, Channels: channels}
	for i, v := range t.Data {
		s := scales[channel(i)]
		r := math.Round(float64(v) / float64(s))
		q[i] = int8(math.Max(-127, math.Min(127, r)))
		w.MaxError = math.Max(w.MaxError, math.Abs(float64(v)-float64(float32(q[i])*s)))
	}
	return modelfile.Tensor{Name: t.Name, Shape: t.Shape, Int8: q},
		modelfile.Tensor{Name: zoo.ScalePrefix + t.Name, Shape: []int{channels}, Data: scales}, w
}
