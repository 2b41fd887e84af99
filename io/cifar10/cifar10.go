package cifar10

import (
	"fmt"
	"math"

	"github.com/gozoo/gozoo/io/loader"
)

// Sizes of the CIFAR-10 format.
const (
	Classes     = 10                                    // labels 0 to 9
	Channels    = 3                                     // red, green, blue
	Height      = 32                                    // image rows
	Width       = 32                                    // image columns
	ImageBytes  = Channels * Height * Width             // 3072 bytes of pixels per image
	RecordBytes = 1 + ImageBytes                        // 3073 bytes per record: label, then pixels
	MaxBytes    = (1 << 30) / RecordBytes * RecordBytes // largest input Read accepts, about 1 GiB
)

// ClassNames returns the names of the ten classes, indexed by label.
func ClassNames() []string {
	return []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}
}

// Dataset is a set of 32x32 colour images with CIFAR-10 class labels. It
// implements loader.Classified. A Dataset is read-only, so it is safe for
// concurrent use.
type Dataset struct {
	pixels []uint8 // len = n * ImageBytes, each image channel-major (CHW)
	labels []uint8
	shape  []int // InputShape

	// Per-channel normalisation applied by Input after scaling to [0, 1]:
	// (x - mean) / std, computed as x*scale + shift.
	normalized   bool
	scale, shift [Channels]float32
	mean, std    [Channels]float32
}

var _ loader.Classified = (*Dataset)(nil)

// New makes a dataset from n = len(labels) images stored one after another
// in images, each as ImageBytes bytes: the red, green and blue planes of
// Height x Width pixels, row by row. Labels must be below Classes. The dataset
// keeps the slices (it does not copy them): do not modify them afterwards.
func New(images, labels []uint8) (*Dataset, error) {
	if err := check(images, labels); err != nil {
		return nil, err
	}
	return newDataset(images, labels), nil
}

// check validates images and labels for New and Write.
func check(images, labels []uint8) error {
	if len(images) != len(labels)*ImageBytes {
		return fmt.Errorf("cifar10: %d labels need %d bytes of images, got %d",
			len(labels), len(labels)*ImageBytes, len(images))
	}
	for i, l := range labels {
		if l >= Classes {
			return fmt.Errorf("cifar10: label %d of image %d: want 0 to %d", l, i, Classes-1)
		}
	}
	return nil
}

func newDataset(images, labels []uint8) *Dataset {
	return &Dataset{pixels: images, labels: labels, shape: []int{Channels, Height, Width}}
}

// Len is the number of images.
func (d *Dataset) Len() int { return len(d.labels) }

// InputShape is [3 32 32]: channels, height, width. The slice belongs to the
// dataset: do not modify it.
func (d *Dataset) InputShape() []int { return d.shape }

// Input writes image i into dst in channels x height x width order, as
// pixel/255 in [0, 1], then normalised per channel if WithNormalization
// made this view. Like a slice index, it panics if i is out of range or dst
// holds fewer than ImageBytes values; loader.FillInputs checks both and
// returns an error instead.
func (d *Dataset) Input(i int, dst []float32) {
	src := d.Image(i)
	dst = dst[:ImageBytes]
	if !d.normalized {
		for j, p := range src {
			dst[j] = float32(p) / 255
		}
		return
	}
	const plane = Height * Width
	for c := range Channels {
		scale, shift := d.scale[c], d.shift[c]
		out := dst[c*plane : (c+1)*plane]
		for j, p := range src[c*plane : (c+1)*plane] {
			out[j] = float32(p)*scale + shift
		}
	}
}

// Classes is 10.
func (d *Dataset) Classes() int { return Classes }

// Label is the class of image i; ClassNames()[label] names it.
func (d *Dataset) Label(i int) int { return int(d.labels[i]) }

// Image returns the ImageBytes pixels of image i: the red, green and blue
// planes, each row by row. The slice shares the dataset's memory: do not
// modify it.
func (d *Dataset) Image(i int) []uint8 {
	return d.pixels[i*ImageBytes : (i+1)*ImageBytes : (i+1)*ImageBytes]
}

// WithNormalization returns a view of the dataset, sharing its data, whose
// Input yields (pixel/255 - mean[c]) / std[c] for channel c. Mean and std
// are on the [0, 1] scale (ChannelStats computes them); each std must be
// positive and every value finite, and so must the inputs they give (a std
// of 1e-45 would turn every pixel into ±Inf or NaN).
func (d *Dataset) WithNormalization(mean, std [Channels]float32) (*Dataset, error) {
	for c := range Channels {
		m, s := float64(mean[c]), float64(std[c])
		if math.IsNaN(m) || math.IsInf(m, 0) || math.IsNaN(s) || math.IsInf(s, 0) || s <= 0 {
			return nil, fmt.Errorf("cifar10: normalisation mean %v std %v: want finite means and positive finite deviations", mean, std)
		}
	}
	view := *d
	view.normalized = true
	view.mean, view.std = mean, std
	for c := range Channels {
		view.scale[c] = 1 / (255 * std[c])
		view.shift[c] = -mean[c] / std[c]
		// Input is linear in the pixel: finite at 0 and 255, finite for all.
		if !finite32(view.shift[c]) || !finite32(255*view.scale[c]+view.shift[c]) {
			return nil, fmt.Errorf("cifar10: normalisation mean %v std %v: channel %d maps pixels beyond float32", mean[c], std[c], c)
		}
	}
	return &view, nil
}

func finite32(v float32) bool {
	return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0)
}

// Normalization reports the mean and std set by WithNormalization, and
// whether there are any.
func (d *Dataset) Normalization() (mean, std [Channels]float32, ok bool) {
	return d.mean, d.std, d.normalized
}

// ChannelStats returns the mean and the population standard deviation of
// each channel's pixels on the [0, 1] scale, over all images (ignoring any
// normalisation). Compute them on the training set and pass them to
// WithNormalization for both training and test sets. An empty dataset gives
// zeros.
func (d *Dataset) ChannelStats() (mean, std [Channels]float32) {
	const plane = Height * Width
	var sum, sumSq [Channels]uint64 // exact: at most 255^2 per pixel
	for i := range d.Len() {
		img := d.Image(i)
		for c := range Channels {
			var s, q uint64
			for _, p := range img[c*plane : (c+1)*plane] {
				s += uint64(p)
				q += uint64(p) * uint64(p)
			}
			sum[c] += s
			sumSq[c] += q
		}
	}
	n := float64(d.Len()) * plane
	if n == 0 {
		return mean, std
	}
	for c := range Channels {
		m := float64(sum[c]) / n
		v := float64(sumSq[c])/n - m*m
		mean[c] = float32(m / 255)
		std[c] = float32(math.Sqrt(max(v, 0)) / 255)
	}
	return mean, std
}
