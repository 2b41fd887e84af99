package mnist

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"

	"github.com/gozoo/gozoo/io/idx"
	"github.com/gozoo/gozoo/io/loader"
)

// Classes is the number of classes: the digits 0 to 9.
const Classes = 10

// File names of the four MNIST files, without the optional ".gz".
const (
	TrainImagesFile = "train-images-idx3-ubyte"
	TrainLabelsFile = "train-labels-idx1-ubyte"
	TestImagesFile  = "t10k-images-idx3-ubyte"
	TestLabelsFile  = "t10k-labels-idx1-ubyte"
)

// Dataset is a set of grey-scale images with digit labels. It implements
// loader.Classified. A Dataset is read-only, so it is safe for concurrent use.
type Dataset struct {
	pixels        []uint8 // len = n * height * width, row-major
	labels        []uint8
	height, width int
	shape         []int // InputShape
	// scale maps a pixel to its input value: (p/255 - mean) / std.
	scale *[256]float32
	mean  float32
	std   float32
}

// Standard MNIST normalisation statistics (the training set's mean and
// standard deviation of pixel/255), as used by PyTorch's MNIST examples.
const (
	Mean = 0.1307
	Std  = 0.3081
)

func scaleTable(mean, std float32) *[256]float32 {
	var t [256]float32
	for p := range t {
		t[p] = (float32(p)/255 - mean) / std
	}
	return &t
}

var _ loader.Classified = (*Dataset)(nil)

// New makes a dataset from n = len(labels) images of height x width pixels
// stored one after another in pixels. Labels must be below Classes. The
// dataset keeps the slices (it does not copy them): do not modify them
// afterwards.
func New(pixels, labels []uint8, height, width int) (*Dataset, error) {
	if height <= 0 || width <= 0 || height > math.MaxInt32/width {
		return nil, fmt.Errorf("mnist: image size %dx%d: want positive height and width", height, width)
	}
	if len(pixels)%(height*width) != 0 || len(pixels)/(height*width) != len(labels) {
		return nil, fmt.Errorf("mnist: %d labels need %d pixels of %dx%d images, got %d",
			len(labels), len(labels)*height*width, height, width, len(pixels))
	}
	for i, l := range labels {
		if l >= Classes {
			return nil, fmt.Errorf("mnist: label %d of sample %d is not a digit 0-9", l, i)
		}
	}
	return &Dataset{pixels: pixels, labels: labels, height: height, width: width, shape: []int{height * width},
		scale: scaleTable(0, 1), mean: 0, std: 1}, nil
}

// LoadShaped loads MNIST from dir, or from the copy shipped in the Go
// module cache (DefaultDir) when dir is "", with every image given the
// input shape shape: []int{784} for dense networks, []int{1, 28, 28} for
// convolutional ones.
func LoadShaped(dir string, shape []int) (train, test *Dataset, err error) {
	if dir == "" {
		if dir, err = DefaultDir(); err != nil {
			return nil, nil, err
		}
	}
	if train, test, err = Load(dir); err != nil {
		return nil, nil, err
	}
	if train, err = train.WithShape(shape); err != nil {
		return nil, nil, err
	}
	if test, err = test.WithShape(shape); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// Load reads the training set (60000 images) and test set (10000 images)
// from dir, which holds the four MNIST files, each either raw or gzipped:
// train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz],
// t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz].
func Load(dir string) (train, test *Dataset, err error) {
	paths, err := findFiles(dir)
	if err != nil {
		return nil, nil, err
	}
	if train, err = LoadFiles(paths[0], paths[1]); err != nil {
		return nil, nil, err
	}
	if test, err = LoadFiles(paths[2], paths[3]); err != nil {
		return nil, nil, err
	}
	if train.height != test.height || train.width != test.width {
		return nil, nil, fmt.Errorf("mnist: %s: training images are %dx%d but test images are %dx%d",
			dir, train.height, train.width, test.height, test.width)
	}
	return train, test, nil
}

// CheckDir returns nil if dir holds the four files Load reads (each raw or
// gzipped), or an error naming the first one missing. It does not read
// them: Load validates their contents.
func CheckDir(dir string) error {
	_, err := findFiles(dir)
	return err
}

// findFiles returns the paths of the four files in dir: training images
// and labels, test images and labels.
func findFiles(dir string) ([]string, error) {
	paths := make([]string, 4)
	for i, name := range []string{TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile} {
		var err error
		if paths[i], err = findFile(dir, name); err != nil {
			return nil, err
		}
	}
	return paths, nil
}

// findFile returns dir/name, or dir/name.gz if only that exists.
func findFile(dir, name string) (string, error) {
	for _, candidate := range []string{name, name + ".gz"} {
		path := filepath.Join(dir, candidate)
		_, err := os.Stat(path)
		if err == nil {
			return path, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("mnist: %w", err)
		}
	}
	return "", fmt.Errorf("mnist: missing %s (or %s.gz)", filepath.Join(dir, name), name)
}

// LoadFiles reads one set from an IDX image file (N x H x W unsigned bytes)
// and an IDX label file (N unsigned bytes), each raw or gzipped.
func LoadFiles(imagesPath, labelsPath string) (*Dataset, error) {
	dims, pixels, err := idx.ReadFile(imagesPath)
	if err != nil {
		return nil, fmt.Errorf("mnist: %w", err)
	}
	if len(dims) != 3 {
		return nil, fmt.Errorf("mnist: %s: images have dimensions %v, want N x height x width", imagesPath, dims)
	}
	labelDims, labels, err := idx.ReadFile(labelsPath)
	if err != nil {
		return nil, fmt.Errorf("mnist: %w", err)
	}
	if len(labelDims) != 1 {
		return nil, fmt.Errorf("mnist: %s: labels have dimensions %v, want one", labelsPath, labelDims)
	}
	if len(labels) != dims[0] {
		return nil, fmt.Errorf("mnist: %s holds %d labels but %s holds %d images",
			labelsPath, len(labels), imagesPath, dims[0])
	}
	ds, err := New(pixels, labels, dims[1], dims[2])
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, labelsPath)
	}
	return ds, nil
}

// Len is the number of images.
func (d *Dataset) Len() int { return len(d.labels) }

// ImageSize is the height and width of each image in pixels.
func (d *Dataset) ImageSize() (height, width int) { return d.height, d.width }

// InputShape is the shape Input fills: [height*width] by default (flat
// vectors for dense networks), or what WithShape set. The slice belongs to
// the dataset: do not modify it.
func (d *Dataset) InputShape() []int { return d.shape }

// WithShape returns a view of the dataset, sharing its data, whose
// InputShape is shape; its elements must multiply to height*width. Use
// []int{1, 28, 28} (channels, height, width) for convolutional networks.
func (d *Dataset) WithShape(shape []int) (*Dataset, error) {
	n := 1
	for _, s := range shape {
		if s <= 0 {
			return nil, fmt.Errorf("mnist: input shape %v has a non-positive dimension", shape)
		}
		n *= s
		if n > d.height*d.width {
			break
		}
	}
	if len(shape) == 0 || n != d.height*d.width {
		return nil, fmt.Errorf("mnist: input shape %v does not hold %dx%d images", shape, d.height, d.width)
	}
	view := *d
	view.shape = append([]int(nil), shape...)
	return &view, nil
}

// WithNormalization returns a view of the dataset, sharing its data, whose
// inputs are (pixel/255 - mean) / std. std must be positive and mean
// finite, and every input they give finite (a std of 1e-45 would make the
// inputs infinite).
func (d *Dataset) WithNormalization(mean, std float32) (*Dataset, error) {
	bad := func() error {
		return fmt.Errorf("mnist: normalisation needs a positive std and a finite mean that keep inputs finite, got mean %v std %v", mean, std)
	}
	if !(std > 0) || math.IsNaN(float64(mean)) || math.IsInf(float64(mean), 0) || math.IsInf(float64(std), 0) {
		return nil, bad()
	}
	table := scaleTable(mean, std)
	for _, v := range table {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, bad()
		}
	}
	view := *d
	view.scale, view.mean, view.std = table, mean, std
	return &view, nil
}

// Normalization returns the mean and std inputs are normalised with (0 and 1
// unless WithNormalization set them).
func (d *Dataset) Normalization() (mean, std float32) { return d.mean, d.std }

// Input writes image i into dst as float32 (pixel/255 - mean) / std: pixel/255,
// in [0, 1], unless WithNormalization set a mean and std. Like a
// slice index, it panics if i is out of range or dst holds fewer than
// height*width values; loader.FillInputs checks both and returns an error
// instead.
func (d *Dataset) Input(i int, dst []float32) {
	src := d.Image(i)
	dst = dst[:len(src)]
	scale := d.scale
	for j, p := range src {
		dst[j] = scale[p]
	}
}

// Classes is 10.
func (d *Dataset) Classes() int { return Classes }

// Label is the digit shown in image i.
func (d *Dataset) Label(i int) int { return int(d.labels[i]) }

// Image returns the height*width pixels of image i, row by row, 0 for
// background and 255 for ink. The slice shares the dataset's memory: do not
// modify it.
func (d *Dataset) Image(i int) []uint8 {
	size := d.height * d.width
	return d.pixels[i*size : (i+1)*size : (i+1)*size]
}
