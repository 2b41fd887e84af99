package augment

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/gozoo/gozoo/io/loader"
)

// ErrSetting is wrapped by the errors for a step's invalid settings.
var ErrSetting = errors.New("augment: invalid setting")

// Step is one augmentation. Validate reports invalid settings; Wrap calls it
// once. Apply transforms one image in place: img holds channels*height*width
// values in channels x height x width order, and every random choice comes
// from rng.
type Step interface {
	Validate() error
	Apply(img []float32, channels, height, width int, rng *rand.Rand)
}

// RandomCrop pads the image with zeros by Padding pixels on each side and
// takes a crop of the original size at a random offset: the content shifts
// by up to Padding pixels in each direction, and the uncovered border is
// zero. Padding 0 leaves the image unchanged and draws nothing.
type RandomCrop struct {
	Padding int
}

// Validate rejects a negative padding.
func (c RandomCrop) Validate() error {
	if c.Padding < 0 {
		return fmt.Errorf("%w: RandomCrop padding %d: want 0 or more", ErrSetting, c.Padding)
	}
	return nil
}

// Apply draws the crop's top offset, then its left offset, each uniform in
// [0, 2*Padding] on the padded image, and crops.
func (c RandomCrop) Apply(img []float32, channels, height, width int, rng *rand.Rand) {
	if c.Padding == 0 {
		return
	}
	dy := rng.IntN(2*c.Padding+1) - c.Padding
	dx := rng.IntN(2*c.Padding+1) - c.Padding
	shift(img, channels, height, width, dy, dx)
}

// shift moves the content of a channels x height x width image in place so
// that out[c][y][x] = in[c][y+dy][x+dx], with zero where y+dy or x+dx falls
// outside the image. It is the crop at offset (dy, dx) from the unpadded
// position.
func shift(img []float32, channels, height, width, dy, dx int) {
	plane := height * width
	for c := range channels {
		p := img[c*plane : (c+1)*plane]
		if dy > 0 { // rows move up: read below before it is overwritten
			for y := range height {
				shiftRow(p, width, height, y, y+dy, dx)
			}
		} else {
			for y := height - 1; y >= 0; y-- {
				shiftRow(p, width, height, y, y+dy, dx)
			}
		}
	}
}

// shiftRow writes row src of plane p, shifted left by dx, into row dst
// (zeros where src is outside the plane or the shift uncovers columns).
func shiftRow(p []float32, width, height, dst, src, dx int) {
	out := p[dst*width : (dst+1)*width]
	if src < 0 || src >= height || dx >= width || -dx >= width {
		clear(out)
		return
	}
	in := p[src*width : (src+1)*width]
	if dx >= 0 {
		copy(out, in[dx:]) // copy handles overlap when src == dst
		clear(out[width-dx:])
	} else {
		copy(out[-dx:], in)
		clear(out[:-dx])
	}
}

// HorizontalFlip mirrors the image left to right with probability P; P = 0
// means the default 0.5 (to never flip, leave the step out).
type HorizontalFlip struct {
	P float64
}

// Validate rejects P outside [0, 1] (and NaN).
func (f HorizontalFlip) Validate() error {
	if !(f.P >= 0 && f.P <= 1) {
		return fmt.Errorf("%w: HorizontalFlip probability %v: want 0 to 1", ErrSetting, f.P)
	}
	return nil
}

// Apply draws one number and flips if it is below P.
func (f HorizontalFlip) Apply(img []float32, channels, height, width int, rng *rand.Rand) {
	p := f.P
	if p == 0 {
		p = 0.5
	}
	if rng.Float64() >= p {
		return
	}
	for row := range channels * height {
		r := img[row*width : (row+1)*width]
		for i, j := 0, width-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
	}
}

// Dataset is a classified dataset whose images are augmented as they are
// read. It implements loader.Classified. It draws from one *rand.Rand, so it
// is not safe for concurrent use.
type Dataset struct {
	base                    loader.Classified
	rng                     *rand.Rand
	steps                   []Step
	channels, height, width int
}

var _ loader.Classified = (*Dataset)(nil)

// Wrap returns ds with steps applied, in order, to every image Input
// returns. ds's InputShape must be [channels height width]; every step must
// be valid; rng must not be nil.
func Wrap(ds loader.Classified, rng *rand.Rand, steps ...Step) (*Dataset, error) {
	if ds == nil || rng == nil {
		return nil, errors.New("augment: Wrap needs a dataset and a random source")
	}
	shape := ds.InputShape()
	if len(shape) != 3 || shape[0] <= 0 || shape[1] <= 0 || shape[2] <= 0 {
		return nil, fmt.Errorf("augment: input shape %v: want [channels height width]", shape)
	}
	for k, s := range steps {
		if s == nil {
			return nil, fmt.Errorf("augment: step %d is nil", k)
		}
		if err := s.Validate(); err != nil {
			return nil, fmt.Errorf("%w (step %d)", err, k)
		}
	}
	return &Dataset{
		base: ds, rng: rng, steps: append([]Step(nil), steps...),
		channels: shape[0], height: shape[1], width: shape[2],
	}, nil
}

// Len is the base dataset's length.
func (d *Dataset) Len() int { return d.base.Len() }

// InputShape is the base dataset's: augmentation keeps the shape.
func (d *Dataset) InputShape() []int { return d.base.InputShape() }

// Input writes the base dataset's sample i into dst, then applies the steps,
// drawing from the random source. Like the base dataset's Input, it panics
// if dst is too short.
func (d *Dataset) Input(i int, dst []float32) {
	d.base.Input(i, dst)
	img := dst[:d.channels*d.height*d.width]
	for _, s := range d.steps {
		s.Apply(img, d.channels, d.height, d.width, d.rng)
	}
}

// Classes is the base dataset's.
func (d *Dataset) Classes() int { return d.base.Classes() }

// Label is the base dataset's: the steps keep the class.
func (d *Dataset) Label(i int) int { return d.base.Label(i) }
