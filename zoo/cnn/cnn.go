// Package cnn provides ready-made convolutional networks for small images:
// LeNet-5 for MNIST-sized inputs and a small VGG-style network for CIFAR-10.
// Each is described by a config struct whose zero fields take documented
// defaults, so a model file can rebuild it from its JSON config, and each
// draws its initial weights from a caller-seeded source.
//
//	rng := rand.New(rand.NewPCG(1, 2))
//	model, err := cnn.NewLeNet5(cnn.LeNet5Config{}, rng) // 1x28x28 -> 10 logits
//	prog, err := nn.Compile(model, nn.Training, 64, nn.SoftmaxCrossEntropy{})
//
// Inputs are NCHW: a batch of [channels, height, width] images, row-major.
package cnn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gozoo/gozoo/nn"
)

// Kinds name the architectures in model files.
const (
	LeNet5Kind = "lenet5"
	VGGKind    = "cifar-vgg"
)

// stage is one spatial step of a network: a convolution or a pooling layer
// with a square kernel.
type stage struct {
	name                    string
	kernel, stride, padding int
}

// checkInput validates a [C, H, W] input shape and follows its height and
// width through the stages, so that an input too small for the network is
// reported by Validate, naming the stage, before any weight is allocated.
func checkInput(model string, in [3]int, stages []stage) error {
	if in[0] <= 0 || in[1] <= 0 || in[2] <= 0 {
		return fmt.Errorf("cnn: %s: input shape %v must be [channels, height, width] with positive sizes", model, in)
	}
	h, w := in[1], in[2]
	for _, s := range stages {
		if min(h, w)+2*s.padding < s.kernel {
			return fmt.Errorf("cnn: %s: input shape %v is too small: %s (kernel %d, padding %d) gets %dx%d",
				model, in, s.name, s.kernel, s.padding, h, w)
		}
		h = (h+2*s.padding-s.kernel)/s.stride + 1
		w = (w+2*s.padding-s.kernel)/s.stride + 1
	}
	return nil
}

func checkClasses(model string, classes int) error {
	if classes <= 0 {
		return fmt.Errorf("cnn: %s: classes must be positive, got %d", model, classes)
	}
	return nil
}

// builder appends layers while following the per-sample shape, so each layer
// is sized from its predecessor's output. The first error sticks and is
// returned by build.
type builder struct {
	rng    *rand.Rand
	init   nn.Initializer
	input  []int
	shape  []int
	layers []nn.Layer
	err    error
}

func newBuilder(in [3]int, rng *rand.Rand) *builder {
	return &builder{rng: rng, init: nn.HeUniform, input: in[:], shape: in[:]}
}

func (b *builder) add(l nn.Layer, err error) {
	if b.err != nil {
		return
	}
	if err != nil {
		b.err = err
		return
	}
	if b.shape, b.err = l.OutputShape(b.shape); b.err != nil {
		b.err = fmt.Errorf("%s: %w", l.Name(), b.err)
		return
	}
	b.layers = append(b.layers, l)
}

// conv adds a square convolution with stride 1 and weights from b.init.
func (b *builder) conv(name string, out, kernel, padding int, bias bool) {
	if b.err != nil {
		return
	}
	b.add(nn.NewConv2D(name, b.shape[0], out, nn.Pair(kernel), nn.Pair(1), nn.Pair(padding), bias, b.init, b.rng))
}

func (b *builder) relu(name string) { b.add(nn.NewActivation(name, nn.ReLU)) }

// maxPool adds a 2x2 max pooling with stride 2.
func (b *builder) maxPool(name string) {
	b.add(nn.NewMaxPool2D(name, nn.Pair(2), nn.Pair(2), nn.Pair(0)))
}

func (b *builder) flatten() { b.add(nn.NewFlatten("flatten"), nil) }

// dense adds a fully connected layer with weights from b.init.
func (b *builder) dense(name string, out int) {
	if b.err != nil {
		return
	}
	if len(b.shape) != 1 {
		b.err = fmt.Errorf("%s: wants a vector input, got shape %v", name, b.shape)
		return
	}
	b.add(nn.NewDense(name, b.shape[0], out, b.init, b.rng))
}

func (b *builder) build() (*nn.Sequential, error) {
	if b.err != nil {
		return nil, b.err
	}
	return nn.NewSequential(b.input, b.layers...)
}

// spatial follows the height and width of a checked input through stages.
func spatial(in [3]int, stages []stage) (h, w int) {
	h, w = in[1], in[2]
	for _, s := range stages {
		h = (h+2*s.padding-s.kernel)/s.stride + 1
		w = (w+2*s.padding-s.kernel)/s.stride + 1
	}
	return h, w
}

// paramCounter adds up parameter counts, stopping at nn.MaxParams so that
// no product overflows.
type paramCounter struct {
	model string
	n     int
	err   error
}

// add counts a tensor of the given dimensions.
func (c *paramCounter) add(dims ...int) {
	if c.err != nil {
		return
	}
	size := 1
	for _, d := range dims {
		if d <= 0 || size > (nn.MaxParams-c.n)/d {
			c.err = fmt.Errorf("cnn: %s: more than %d parameters", c.model, nn.MaxParams)
			return
		}
		size *= d
	}
	c.n += size
}
