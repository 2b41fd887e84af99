package nn

import (
	"fmt"

	"gorgonia.org/tensor"
)

// Param is a named float32 tensor owned by a model. Trainable parameters are
// updated by optimizers; non-trainable ones (such as BatchNorm running
// averages) are state that is saved with the model but has no gradient.
type Param struct {
	Name      string
	Value     *tensor.Dense
	Trainable bool
	// Mask, if set, has one entry per value: false marks a value pruned to
	// zero, which training keeps at zero (its gradient is dropped and the
	// optimizer leaves it 0). Model files record which parameters are
	// masked, so the mask survives a save, a load and a checkpoint.
	Mask []bool
}

// SetMask masks the values of p whose keep entry is false, setting them to
// zero. nil removes the mask.
func (p *Param) SetMask(keep []bool) error {
	if keep == nil {
		p.Mask = nil
		return nil
	}
	data := p.Data()
	if len(keep) != len(data) {
		return fmt.Errorf("nn: mask of %q has %d entries for %d values", p.Name, len(keep), len(data))
	}
	p.Mask = append(p.Mask[:0], keep...)
	for i, k := range p.Mask {
		if !k {
			data[i] = 0
		}
	}
	return nil
}

// MaskFromZeros masks exactly the values of p that are zero.
func (p *Param) MaskFromZeros() {
	data := p.Data()
	keep := make([]bool, len(data))
	for i, v := range data {
		keep[i] = v != 0
	}
	p.Mask = keep
}

// NewParam returns a zero-filled parameter of the given shape.
func NewParam(name string, trainable bool, shape ...int) (*Param, error) {
	if name == "" {
		return nil, fmt.Errorf("nn: parameter needs a name")
	}
	n, err := shapeSize(shape)
	if err != nil {
		return nil, fmt.Errorf("nn: parameter %q: %w", name, err)
	}
	data := make([]float32, n)
	return &Param{
		Name:      name,
		Value:     tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data)),
		Trainable: trainable,
	}, nil
}

// Data returns the parameter's values, row-major. Writes through it change
// the parameter in every graph built over it.
func (p *Param) Data() []float32 { return p.Value.Data().([]float32) }

// Shape returns a copy of the parameter's shape.
func (p *Param) Shape() []int { return append([]int(nil), p.Value.Shape()...) }

// maxElements bounds a single tensor so that a bad config cannot ask for a
// huge allocation (4 GiB of float32).
const maxElements = 1 << 30

func shapeSize(shape []int) (int, error) {
	if len(shape) == 0 {
		return 0, fmt.Errorf("empty shape")
	}
	n := 1
	for _, d := range shape {
		if d <= 0 {
			return 0, fmt.Errorf("shape %v has a non-positive dimension", shape)
		}
		if n > maxElements/d {
			return 0, fmt.Errorf("shape %v has more than %d elements", shape, maxElements)
		}
		n *= d
	}
	return n, nil
}

// CheckUniqueNames returns an error naming the first parameter name used twice.
func CheckUniqueNames(params []*Param) error {
	seen := make(map[string]bool, len(params))
	for _, p := range params {
		if seen[p.Name] {
			return fmt.Errorf("nn: parameter name %q used twice", p.Name)
		}
		seen[p.Name] = true
	}
	return nil
}
