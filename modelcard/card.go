package modelcard

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/gozoo/gozoo/io/csvdata"
	"github.com/gozoo/gozoo/io/imagein"
)

// MetadataKey is the model-file metadata key that holds the card as JSON.
const MetadataKey = "input"

// Tasks.
const (
	Classify = "classify"
	Regress  = "regress"
)

// Datasets a card can name. Any other name is allowed for a model trained
// on data of the user's own: Data then has nothing to load.
const (
	MNISTDataset        = "mnist"
	FashionMNISTDataset = "fashion-mnist"
	CIFAR10Dataset      = "cifar10"
	CSVDataset          = "csv"
)

// Card says how to feed a model and read its outputs. The zero values of
// optional fields mean: no normalisation given, no class names.
type Card struct {
	// Dataset names the data: "mnist", "fashion-mnist", "cifar10", "csv"
	// or a name of the user's own.
	Dataset string `json:"dataset"`
	// Shape is the per-sample input shape.
	Shape []int `json:"shape"`
	// Task is "classify" or "regress"; empty means classify.
	Task string `json:"task,omitempty"`
	// ClassNames name a classifier's outputs, in order.
	ClassNames []string `json:"class_names,omitempty"`

	// Images: pixel/255 is normalised per channel as (v - Mean) / Std.
	Mean []float32 `json:"mean,omitempty"`
	Std  []float32 `json:"std,omitempty"`

	// Tables: where the rows came from and how they were split, so that
	// Data rebuilds the same training, validation and test rows.
	CSV       string  `json:"csv,omitempty"` // file path or built-in table name
	Target    string  `json:"target,omitempty"`
	Split     float64 `json:"split,omitempty"`
	ValSplit  float64 `json:"val_split,omitempty"`
	SplitSeed uint64  `json:"split_seed,omitempty"`
	// Features name the input columns, in order; Standardizer maps a raw
	// row to the model's input.
	Features     []string              `json:"features,omitempty"`
	Standardizer *csvdata.Standardizer `json:"standardizer,omitempty"`
	// TargetScale maps a regression model's output back to the target's
	// units: raw = output*Std + Mean.
	TargetScale *TargetScale `json:"target_scale,omitempty"`
}

// TargetScale standardises regression targets so that the loss is in units
// of the target's spread.
type TargetScale struct {
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
}

// FitTargetScale returns the mean and (population) standard deviation of y;
// a constant target gets Std 1.
func FitTargetScale(y []float64) *TargetScale {
	var sum, ss float64
	for _, v := range y {
		sum += v
	}
	mean := sum / float64(len(y))
	for _, v := range y {
		ss += (v - mean) * (v - mean)
	}
	s := &TargetScale{Mean: mean, Std: 1}
	if sd := math.Sqrt(ss / float64(len(y))); sd > 0 {
		s.Std = sd
	}
	return s
}

// Scale maps a raw target to the model's units.
func (s TargetScale) Scale(raw float64) float64 { return (raw - s.Mean) / s.Std }

// Unscale maps a model output to the target's units.
func (s TargetScale) Unscale(v float64) float64 { return v*s.Std + s.Mean }

// MNIST is the card of a model trained on MNIST with the given input shape
// ([784] or [1, 28, 28]): pixels/255, no further normalisation, classes
// "0" to "9".
func MNIST(shape []int) *Card {
	names := make([]string, 10)
	for i := range names {
		names[i] = fmt.Sprint(i)
	}
	return grey(MNISTDataset, shape, names)
}

// FashionMNIST is the card of a model trained on Fashion-MNIST with the
// given input shape ([784] or [1, 28, 28]): scaled as MNIST is (pixels/255,
// no further normalisation), with the dataset's ten class names in label
// order.
func FashionMNIST(shape []int) *Card {
	// The classes in label order, as the dataset's authors name them
	// (github.com/zalandoresearch/fashion-mnist).
	return grey(FashionMNISTDataset, shape, []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"})
}

// grey is the card of a 28x28 grey-scale dataset in MNIST's IDX layout.
func grey(dataset string, shape []int, names []string) *Card {
	return &Card{Dataset: dataset, Shape: append([]int(nil), shape...), ClassNames: names, Mean: []float32{0}, Std: []float32{1}}
}

// Regression reports whether the card is a regression model's.
func (c *Card) Regression() bool { return c.Task == Regress }

// IsImage reports whether the model takes images.
func (c *Card) IsImage() bool {
	switch c.Dataset {
	case CSVDataset:
		return false
	case MNISTDataset, FashionMNISTDataset, CIFAR10Dataset:
		return true
	}
	return len(c.Mean) > 0 && (len(c.Shape) == 3 || len(c.Shape) == 1)
}

// Metadata returns the card as model-file metadata.
func (c *Card) Metadata() map[string]string {
	data, _ := json.Marshal(c) // plain fields only: cannot fail
	return map[string]string{MetadataKey: string(data)}
}

// FromMetadata reads the card from a model file's metadata. ok is false
// when the file has none (a model saved without a card).
func FromMetadata(meta map[string]string) (card *Card, ok bool, err error) {
	raw, ok := meta[MetadataKey]
	if !ok {
		return nil, false, nil
	}
	var c Card
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, true, fmt.Errorf("modelcard: %q metadata: %v", MetadataKey, err)
	}
	if dec.More() {
		return nil, true, fmt.Errorf("modelcard: %q metadata: trailing data", MetadataKey)
	}
	if err := c.Validate(); err != nil {
		return nil, true, err
	}
	return &c, true, nil
}

// Limits on a card read from a file.
const (
	maxClasses = 1 << 16
	maxNameLen = 256
)

// errNoCard is the error of a method called on a nil *Card.
var errNoCard = errors.New("modelcard: no card")

// Validate checks the card on its own: a known task, a positive input
// shape, and normalisation, names and scales that make sense.
func (c *Card) Validate() error {
	if c == nil {
		return errNoCard
	}
	switch c.Task {
	case "", Classify, Regress:
	default:
		return fmt.Errorf("modelcard: unknown task %q (want classify or regress)", c.Task)
	}
	if len(c.Shape) == 0 || len(c.Shape) > 4 {
		return fmt.Errorf("modelcard: input shape %v must have 1 to 4 dimensions", c.Shape)
	}
	n := 1
	for _, d := range c.Shape {
		if d <= 0 || d > 1<<24 || n > (1<<30)/d {
			return fmt.Errorf("modelcard: input shape %v is out of range", c.Shape)
		}
		n *= d
	}
	if len(c.ClassNames) > maxClasses {
		return fmt.Errorf("modelcard: %d class names, more than %d", len(c.ClassNames), maxClasses)
	}
	for i, name := range c.ClassNames {
		if len(name) > maxNameLen {
			return fmt.Errorf("modelcard: class name %d is longer than %d bytes", i, maxNameLen)
		}
	}
	if c.Regression() && len(c.ClassNames) > 0 {
		return fmt.Errorf("modelcard: a regression card has no class names, got %d", len(c.ClassNames))
	}
	if len(c.Mean) != len(c.Std) {
		return fmt.Errorf("modelcard: %d means but %d stds", len(c.Mean), len(c.Std))
	}
	for i := range c.Std {
		if !finite(float64(c.Mean[i])) || !(c.Std[i] > 0) || !finite(float64(c.Std[i])) {
			return fmt.Errorf("modelcard: normalisation mean %v, std %v: stds must be positive and all finite", c.Mean, c.Std)
		}
	}
	if s := c.TargetScale; s != nil && (!finite(s.Mean) || !(s.Std > 0) || !finite(s.Std)) {
		return fmt.Errorf("modelcard: target scale %+v: std must be positive and both finite", *s)
	}
	if c.Standardizer != nil {
		if err := c.Standardizer.Validate(len(c.Features)); err != nil {
			return fmt.Errorf("modelcard: %w", err)
		}
	}
	if c.Dataset == CSVDataset {
		if c.Standardizer == nil || len(c.Features) == 0 {
			return fmt.Errorf("modelcard: a csv card needs its features and standardizer")
		}
		if len(c.Shape) != 1 || c.Shape[0] != len(c.Features) {
			return fmt.Errorf("modelcard: input shape %v does not match %d features", c.Shape, len(c.Features))
		}
		if c.Regression() && c.TargetScale == nil {
			return fmt.Errorf("modelcard: a csv regression card needs a target scale")
		}
	}
	return nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// CheckModel checks that the card fits a model with the given per-sample
// input shape and number of outputs: the same input shape, one class name
// per output of a classifier that has names, one output for regression.
func (c *Card) CheckModel(input []int, outputs int) error {
	if c == nil {
		return errNoCard
	}
	if outputs < 1 {
		return fmt.Errorf("modelcard: a model with %d outputs", outputs)
	}
	if fmt.Sprint(input) != fmt.Sprint(c.Shape) {
		return fmt.Errorf("modelcard: the model takes input %v, its card says %v", input, c.Shape)
	}
	if len(c.ClassNames) > 0 && len(c.ClassNames) != outputs {
		return fmt.Errorf("modelcard: %d class names for a model with %d outputs", len(c.ClassNames), outputs)
	}
	if c.Regression() && c.TargetScale != nil && outputs != 1 {
		return fmt.Errorf("modelcard: a scaled regression target needs 1 output, the model has %d", outputs)
	}
	return nil
}

// ClassName returns the name of class i, or its number when the card has
// no names.
func (c *Card) ClassName(i int) string {
	if i >= 0 && i < len(c.ClassNames) {
		return c.ClassNames[i]
	}
	return fmt.Sprint(i)
}

// ImageLayout returns how an image becomes the model's input: [C, H, W]
// from the shape, or a flat [N] of one channel whose side is sqrt(N) (an
// MNIST MLP's 784). MNIST and Fashion-MNIST models auto-invert
// light-background images: both datasets are a light figure on a black
// background (Fashion-MNIST's authors made theirs by negating product
// photos taken on white), so a dark digit on paper or a product shot on
// white, which is what users send, matches the training data only
// inverted. CIFAR-10's photos have no such background: never inverted.
func (c *Card) ImageLayout() (imagein.Layout, error) {
	if c.Dataset == CSVDataset {
		return imagein.Layout{}, fmt.Errorf("modelcard: this is a csv model, not an image model")
	}
	if c.Regression() {
		return imagein.Layout{}, fmt.Errorf("modelcard: this is a regression model, not an image classifier")
	}
	l := imagein.Layout{Mean: c.Mean, Std: c.Std, AutoInvert: c.Dataset == MNISTDataset || c.Dataset == FashionMNISTDataset}
	switch len(c.Shape) {
	case 1:
		side := int(math.Round(math.Sqrt(float64(c.Shape[0]))))
		if side <= 0 || side*side != c.Shape[0] {
			return imagein.Layout{}, fmt.Errorf("modelcard: input shape %v is not a square image", c.Shape)
		}
		l.Channels, l.Height, l.Width = 1, side, side
	case 3:
		l.Channels, l.Height, l.Width = c.Shape[0], c.Shape[1], c.Shape[2]
	default:
		return imagein.Layout{}, fmt.Errorf("modelcard: input shape %v is not an image shape", c.Shape)
	}
	if err := l.Validate(); err != nil {
		return imagein.Layout{}, fmt.Errorf("modelcard: input shape %v: %w", c.Shape, err)
	}
	return l, nil
}

// Row standardises one raw table row (the Features, in order) into the
// model's input.
func (c *Card) Row(raw []float64) ([]float32, error) {
	if c.Standardizer == nil {
		return nil, fmt.Errorf("modelcard: the card has no standardizer: not a table model")
	}
	if len(raw) != len(c.Features) {
		return nil, fmt.Errorf("modelcard: row has %d values, the model takes %d features (%s)", len(raw), len(c.Features), strings.Join(c.Features, ", "))
	}
	dst := make([]float32, len(raw))
	if err := c.Standardizer.Transform(raw, dst); err != nil {
		return nil, fmt.Errorf("modelcard: %w", err)
	}
	return dst, nil
}
