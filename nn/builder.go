package nn

import (
	"fmt"
	"math/rand/v2"
)

// Builder stacks layers into a Sequential the way Keras' Sequential does:
// each layer is sized from its predecessor's output, so only what a layer
// adds is given (a Dense layer's outputs, a convolution's channels). The
// first error sticks: later calls do nothing and Build returns it.
//
//	b := nn.NewBuilder([]int{1, 28, 28}, rng)
//	b.Conv2D("conv1", 8, 3, 1) // 8 channels, 3x3 kernel, padding 1
//	b.ReLU("relu1")
//	b.MaxPool2D("pool1", 2)
//	b.Flatten("flatten")
//	b.Dense("out", 10)
//	model, err := b.Build()
type Builder struct {
	// Init initialises the weights of Dense and Conv2D layers; default
	// GlorotUniform (Keras' default).
	Init Initializer

	rng    *rand.Rand
	input  []int
	shape  []int
	layers []Layer
	err    error
}

// NewBuilder starts a network over per-sample inputs of the given shape,
// drawing initial weights from rng.
func NewBuilder(input []int, rng *rand.Rand) *Builder {
	b := &Builder{Init: GlorotUniform, rng: rng, input: append([]int(nil), input...), shape: input}
	if rng == nil {
		b.err = fmt.Errorf("nn: builder needs a random source for the initial weights")
	} else if _, err := shapeSize(input); err != nil {
		b.err = fmt.Errorf("nn: input shape: %w", err)
	}
	return b
}

// Add appends a layer built elsewhere (the error of its constructor, if
// any, sticks).
func (b *Builder) Add(l Layer, err error) *Builder {
	if b.err != nil {
		return b
	}
	if err != nil {
		b.err = err
		return b
	}
	out, err := l.OutputShape(b.shape)
	if err != nil {
		b.err = fmt.Errorf("nn: layer %d (%s): %w", len(b.layers)+1, l.Name(), err)
		return b
	}
	b.shape = out
	b.layers = append(b.layers, l)
	return b
}

// Shape is the per-sample output shape of the layers so far.
func (b *Builder) Shape() []int { return append([]int(nil), b.shape...) }

// Dense adds a fully connected layer with the given number of outputs; the
// input must be a vector (use Flatten after images).
func (b *Builder) Dense(name string, outputs int) *Builder {
	if b.err == nil && len(b.shape) != 1 {
		b.err = fmt.Errorf("nn: dense %q wants a vector input, got shape %v (add a Flatten)", name, b.shape)
	}
	if b.err != nil {
		return b
	}
	return b.Add(NewDense(name, b.shape[0], outputs, b.Init, b.rng))
}

// Conv2D adds a square convolution with stride 1, the given zero padding
// and a bias.
func (b *Builder) Conv2D(name string, channels, kernel, padding int) *Builder {
	if b.err == nil && len(b.shape) != 3 {
		b.err = fmt.Errorf("nn: conv2d %q wants a [channels, height, width] input, got shape %v", name, b.shape)
	}
	if b.err != nil {
		return b
	}
	return b.Add(NewConv2D(name, b.shape[0], channels, Pair(kernel), Pair(1), Pair(padding), true, b.Init, b.rng))
}

// MaxPool2D adds max pooling over size x size windows with stride size.
func (b *Builder) MaxPool2D(name string, size int) *Builder {
	return b.Add(NewMaxPool2D(name, Pair(size), Pair(size), Pair(0)))
}

// AvgPool2D adds average pooling over size x size windows with stride size.
func (b *Builder) AvgPool2D(name string, size int) *Builder {
	return b.Add(NewAvgPool2D(name, Pair(size), Pair(size), Pair(0)))
}

// BatchNorm adds batch normalisation of the channels of images or the
// features of vectors, whichever the input is.
func (b *Builder) BatchNorm(name string) *Builder {
	if b.err != nil {
		return b
	}
	if len(b.shape) == 3 {
		return b.Add(NewBatchNorm2D(name, b.shape[0]))
	}
	return b.Add(NewBatchNorm1D(name, b.shape[0]))
}

// Activation adds an activation: ReLU, Tanh, Sigmoid or Softmax.
func (b *Builder) Activation(name, kind string) *Builder { return b.Add(NewActivation(name, kind)) }

// ReLU adds a ReLU activation.
func (b *Builder) ReLU(name string) *Builder { return b.Activation(name, ReLU) }

// Dropout adds dropout at the given rate.
func (b *Builder) Dropout(name string, rate float64) *Builder { return b.Add(NewDropout(name, rate)) }

// Flatten adds a layer that turns each sample into a vector.
func (b *Builder) Flatten(name string) *Builder { return b.Add(NewFlatten(name), nil) }

// Build returns the network, or the first error of any call.
func (b *Builder) Build() (*Sequential, error) {
	if b.err != nil {
		return nil, b.err
	}
	return NewSequential(b.input, b.layers...)
}
