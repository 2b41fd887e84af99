package mlp

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/gozoo/gozoo/nn"
)

// Kind names this architecture in model files.
const Kind = "mlp"

// Config describes an MLP: Inputs -> Hidden[0] -> ... -> Outputs, with
// Activation after every hidden layer and raw outputs (logits) at the end.
type Config struct {
	Inputs     int    `json:"inputs"`
	Hidden     []int  `json:"hidden"`
	Outputs    int    `json:"outputs"`
	Activation string `json:"activation"` // relu (default), tanh or sigmoid
	// Init names the weight initializer (nn.InitializerByName); the default is
	// glorot_uniform, the default of Keras' Dense and Paddle's fc layers.
	Init string `json:"init"`
}

// Paddle is the seed's PaddlePaddle model: 784-128-64-10 with ReLU.
func Paddle() Config {
	return Config{Inputs: 784, Hidden: []int{128, 64}, Outputs: 10, Activation: nn.ReLU, Init: "glorot_uniform"}
}

// MindSpore is the seed's MindSpore model: 784-1024-64-10 with ReLU. (The
// seed declares 128 inputs for its first layer but feeds it 1024 features
// after a 784-wide input; MNIST has 784 pixels, so that is what it takes.)
func MindSpore() Config {
	return Config{Inputs: 784, Hidden: []int{1024, 64}, Outputs: 10, Activation: nn.ReLU, Init: "glorot_uniform"}
}

func (c Config) withDefaults() Config {
	if c.Activation == "" {
		c.Activation = nn.ReLU
	}
	if c.Init == "" {
		c.Init = "glorot_uniform"
	}
	return c
}

// Validate reports the first problem with c, naming the layer.
func (c Config) Validate() error {
	c = c.withDefaults()
	if c.Inputs <= 0 {
		return fmt.Errorf("mlp: inputs must be positive, got %d", c.Inputs)
	}
	for i, h := range c.Hidden {
		if h <= 0 {
			return fmt.Errorf("mlp: hidden layer %d must have a positive width, got %d", i+1, h)
		}
	}
	if c.Outputs <= 0 {
		return fmt.Errorf("mlp: outputs must be positive, got %d", c.Outputs)
	}
	switch c.Activation {
	case nn.ReLU, nn.Tanh, nn.Sigmoid:
	default:
		return fmt.Errorf("mlp: unknown activation %q (want relu, tanh or sigmoid)", c.Activation)
	}
	if _, err := nn.InitializerByName(c.Init); err != nil {
		return fmt.Errorf("mlp: %w", err)
	}
	return nil
}

// String gives the layer sizes, e.g. "784-128-64-10 relu".
func (c Config) String() string {
	c = c.withDefaults()
	sizes := []string{fmt.Sprint(c.Inputs)}
	for _, h := range c.Hidden {
		sizes = append(sizes, fmt.Sprint(h))
	}
	sizes = append(sizes, fmt.Sprint(c.Outputs))
	return strings.Join(sizes, "-") + " " + c.Activation
}

// Model is an MLP built from a Config. Its layers are named dense1,
// relu1, dense2, ..., and its parameters dense1/weight, dense1/bias, ...
type Model struct {
	*nn.Sequential
	Config Config
}

// New validates cfg and builds the model, drawing initial weights from rng.
func New(cfg Config, rng *rand.Rand) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	init, _ := nn.InitializerByName(cfg.Init)
	var layers []nn.Layer
	in := cfg.Inputs
	for i, width := range append(append([]int(nil), cfg.Hidden...), cfg.Outputs) {
		d, err := nn.NewDense(fmt.Sprintf("dense%d", i+1), in, width, init, rng)
		if err != nil {
			return nil, fmt.Errorf("mlp: %w", err)
		}
		layers = append(layers, d)
		if i < len(cfg.Hidden) {
			a, _ := nn.NewActivation(fmt.Sprintf("%s%d", cfg.Activation, i+1), cfg.Activation)
			layers = append(layers, a)
		}
		in = width
	}
	seq, err := nn.NewSequential([]int{cfg.Inputs}, layers...)
	if err != nil {
		return nil, fmt.Errorf("mlp: %w", err)
	}
	return &Model{Sequential: seq, Config: cfg}, nil
}

// Kind returns "mlp".
func (m *Model) Kind() string { return Kind }

// ConfigJSON returns the model's config as JSON, for model files.
func (m *Model) ConfigJSON() ([]byte, error) { return json.Marshal(m.Config) }

// ParamCount returns the number of parameter values New allocates for c,
// computed from the config alone, or an error for an invalid config or
// more than nn.MaxParams.
func (c Config) ParamCount() (int, error) {
	if err := c.Validate(); err != nil {
		return 0, err
	}
	total, in := 0, c.Inputs
	for _, width := range append(append([]int(nil), c.Hidden...), c.Outputs) {
		if in+1 > (nn.MaxParams-total)/width {
			return 0, fmt.Errorf("mlp: more than %d parameters (at layer %d, %d inputs to %d outputs)", nn.MaxParams, len(c.Hidden), in, width)
		}
		total += in*width + width
		in = width
	}
	return total, nil
}
