package cnn

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"github.com/gozoo/gozoo/nn"
)

// LeNet5Config describes a LeNet-5 (the PyTorch/Paddle tutorial variant with
// ReLU and max pooling). Zero fields take the defaults noted.
type LeNet5Config struct {
	InputShape [3]int `json:"input_shape"` // [channels, height, width]; default [1, 28, 28]
	Classes    int    `json:"classes"`     // number of outputs (logits); default 10
	// Init names the weight initializer (nn.InitializerByName); default
	// glorot_uniform, the default of Keras' Conv2D and Dense.
	Init string `json:"init,omitempty"`
}

func (c LeNet5Config) withDefaults() LeNet5Config {
	if c.InputShape == [3]int{} {
		c.InputShape = [3]int{1, 28, 28}
	}
	if c.Classes == 0 {
		c.Classes = 10
	}
	if c.Init == "" {
		c.Init = "glorot_uniform"
	}
	return c
}

// lenetStages are the spatial steps of LeNet-5: 28x28 -> 28 -> 14 -> 10 -> 5.
func lenetStages() []stage {
	return []stage{{"conv1", 5, 1, 2}, {"pool1", 2, 2, 0}, {"conv2", 5, 1, 0}, {"pool2", 2, 2, 0}}
}

// Validate reports the first problem with c, such as an input too small for
// the second convolution (the smallest that fits is 12x12).
func (c LeNet5Config) Validate() error {
	c = c.withDefaults()
	if err := checkClasses(LeNet5Kind, c.Classes); err != nil {
		return err
	}
	if _, err := nn.InitializerByName(c.Init); err != nil {
		return fmt.Errorf("cnn: %s: %w", LeNet5Kind, err)
	}
	return checkInput(LeNet5Kind, c.InputShape, lenetStages())
}

// LeNet5 is conv 6@5x5 (padding 2), ReLU, max-pool 2; conv 16@5x5, ReLU,
// max-pool 2; flatten; dense 120, ReLU; dense 84, ReLU; dense Classes. For
// a 1x28x28 input the flattened size is 16*5*5 = 400. Weights come from
// Config.Init (Glorot uniform by default) and biases are zero.
type LeNet5 struct {
	*nn.Sequential
	Config LeNet5Config
}

// NewLeNet5 validates cfg and builds the model, drawing weights from rng.
func NewLeNet5(cfg LeNet5Config, rng *rand.Rand) (*LeNet5, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	b := newBuilder(cfg.InputShape, rng)
	b.init, _ = nn.InitializerByName(cfg.Init)
	b.conv("conv1", 6, 5, 2, true)
	b.relu("relu1")
	b.maxPool("pool1")
	b.conv("conv2", 16, 5, 0, true)
	b.relu("relu2")
	b.maxPool("pool2")
	b.flatten()
	b.dense("dense1", 120)
	b.relu("relu3")
	b.dense("dense2", 84)
	b.relu("relu4")
	b.dense("dense3", cfg.Classes)
	seq, err := b.build()
	if err != nil {
		return nil, fmt.Errorf("cnn: %s: %w", LeNet5Kind, err)
	}
	return &LeNet5{Sequential: seq, Config: cfg}, nil
}

// Kind returns "lenet5".
func (m *LeNet5) Kind() string { return LeNet5Kind }

// ConfigJSON returns the model's config, defaults filled in, as JSON.
func (m *LeNet5) ConfigJSON() ([]byte, error) { return json.Marshal(m.Config) }

// ParamCount returns the number of parameter values NewLeNet5 allocates for
// c, computed from the config alone, or an error for an invalid config or
// more than nn.MaxParams.
func (c LeNet5Config) ParamCount() (int, error) {
	if err := c.Validate(); err != nil {
		return 0, err
	}
	c = c.withDefaults()
	h, w := spatial(c.InputShape, lenetStages())
	n := paramCounter{model: LeNet5Kind}
	n.add(6, c.InputShape[0], 5, 5)
	n.add(6)
	n.add(16, 6, 5, 5)
	n.add(16)
	n.add(16, h, w, 120)
	n.add(120)
	n.add(120, 84)
	n.add(84)
	n.add(84, c.Classes)
	n.add(c.Classes)
	return n.n, n.err
}
