package cnn

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"github.com/gozoo/gozoo/nn"
)

// VGGConfig describes a small VGG-style network for CIFAR-10-sized images.
// Zero fields take the defaults noted.
type VGGConfig struct {
	InputShape [3]int `json:"input_shape"` // [channels, height, width]; default [3, 32, 32]
	Classes    int    `json:"classes"`     // number of outputs (logits); default 10
	// Channels has one entry per block: conv3x3 (padding 1), BatchNorm, ReLU,
	// conv3x3, BatchNorm, ReLU, 2x2 max pooling. Default [32, 64, 128].
	Channels []int `json:"channels"`
	// Dropout is the rate of the dropout layer in front of the last dense
	// layer, in [0, 1). nil means 0.3; new(0.0) turns dropout off.
	Dropout *float64 `json:"dropout"`
	Hidden  int      `json:"hidden"` // width of the hidden dense layer; default 256
}

func (c VGGConfig) withDefaults() VGGConfig {
	if c.InputShape == [3]int{} {
		c.InputShape = [3]int{3, 32, 32}
	}
	if c.Classes == 0 {
		c.Classes = 10
	}
	if c.Channels == nil {
		c.Channels = []int{32, 64, 128}
	} else {
		c.Channels = append([]int(nil), c.Channels...) // no aliasing of the caller's slice
	}
	if c.Dropout == nil {
		c.Dropout = new(0.3)
	} else {
		c.Dropout = new(*c.Dropout)
	}
	if c.Hidden == 0 {
		c.Hidden = 256
	}
	return c
}

// Validate reports the first problem with c, such as an input too small for
// the pooling stages (each block halves height and width, so 3 blocks need
// at least 8x8).
func (c VGGConfig) Validate() error {
	c = c.withDefaults()
	if err := checkClasses(VGGKind, c.Classes); err != nil {
		return err
	}
	if len(c.Channels) == 0 {
		return fmt.Errorf("cnn: %s: needs at least one block in channels", VGGKind)
	}
	var stages []stage
	for i, ch := range c.Channels {
		if ch <= 0 {
			return fmt.Errorf("cnn: %s: block %d must have a positive channel count, got %d", VGGKind, i+1, ch)
		}
		stages = append(stages, stage{fmt.Sprintf("block%d_pool", i+1), 2, 2, 0})
	}
	if d := *c.Dropout; !(d >= 0 && d < 1) {
		return fmt.Errorf("cnn: %s: dropout must be in [0, 1), got %v", VGGKind, d)
	}
	if c.Hidden <= 0 {
		return fmt.Errorf("cnn: %s: hidden must be positive, got %d", VGGKind, c.Hidden)
	}
	// The 3x3 convolutions with padding 1 keep the size; only pooling shrinks it.
	return checkInput(VGGKind, c.InputShape, stages)
}

// VGG is a stack of VGG blocks (see VGGConfig.Channels), then flatten, dense
// Hidden, ReLU, dropout, dense Classes. Convolutions have no bias (the
// BatchNorm after each one has its own shift); weights are He-uniform.
// Layers are named block1_conv1, block1_bn1, ..., block1_pool, flatten,
// dense1, relu, dropout, dense2.
type VGG struct {
	*nn.Sequential
	Config VGGConfig
}

// NewVGG validates cfg and builds the model, drawing weights from rng.
func NewVGG(cfg VGGConfig, rng *rand.Rand) (*VGG, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	b := newBuilder(cfg.InputShape, rng)
	for i, ch := range cfg.Channels {
		prefix := fmt.Sprintf("block%d_", i+1)
		for j := 1; j <= 2; j++ {
			b.conv(fmt.Sprintf("%sconv%d", prefix, j), ch, 3, 1, false)
			b.add(nn.NewBatchNorm2D(fmt.Sprintf("%sbn%d", prefix, j), ch))
			b.relu(fmt.Sprintf("%srelu%d", prefix, j))
		}
		b.maxPool(prefix + "pool")
	}
	b.flatten()
	b.dense("dense1", cfg.Hidden)
	b.relu("relu")
	b.add(nn.NewDropout("dropout", *cfg.Dropout))
	b.dense("dense2", cfg.Classes)
	seq, err := b.build()
	if err != nil {
		return nil, fmt.Errorf("cnn: %s: %w", VGGKind, err)
	}
	return &VGG{Sequential: seq, Config: cfg}, nil
}

// Kind returns "cifar-vgg".
func (m *VGG) Kind() string { return VGGKind }

// ConfigJSON returns the model's config, defaults filled in, as JSON.
func (m *VGG) ConfigJSON() ([]byte, error) { return json.Marshal(m.Config) }

// ParamCount returns the number of parameter values NewVGG allocates for c,
// BatchNorm's running statistics included, computed from the config alone,
// or an error for an invalid config or more than nn.MaxParams.
func (c VGGConfig) ParamCount() (int, error) {
	if err := c.Validate(); err != nil {
		return 0, err
	}
	c = c.withDefaults()
	n := paramCounter{model: VGGKind}
	in := c.InputShape[0]
	h, w := c.InputShape[1], c.InputShape[2]
	for _, ch := range c.Channels {
		n.add(ch, in, 3, 3)
		n.add(4, ch) // scale, shift, running mean and variance
		n.add(ch, ch, 3, 3)
		n.add(4, ch)
		in, h, w = ch, h/2, w/2
	}
	n.add(in, h, w, c.Hidden)
	n.add(c.Hidden)
	n.add(c.Hidden, c.Classes)
	n.add(c.Classes)
	return n.n, n.err
}
