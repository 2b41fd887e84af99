package resnet

import (
	"fmt"
	"math/rand/v2"

	"github.com/gozoo/gozoo/nn"
)

// Config describes a CIFAR-style residual network (He et al. 2015,
// arXiv:1512.03385, section 4.2): a 3x3 convolution, three stages of n
// basic blocks each with Widths filters (the first block of stages 2 and 3
// halves height and width with stride 2), global average pooling and a
// dense classifier. Depth is 6n+2. Zero fields take the defaults noted.
type Config struct {
	InputShape [3]int `json:"input_shape"` // [channels, height, width]; default [3, 32, 32]
	Classes    int    `json:"classes"`     // default 10
	Depth      int    `json:"depth"`       // 6n+2: 20, 32, 44, 56, 110; default 20
	Widths     [3]int `json:"widths"`      // filters of the three stages; default 16, 32, 64
}

// MaxDepth bounds Depth (ResNet-1202 is the paper's deepest).
const MaxDepth = 1202

// ResNet20 is the paper's 20-layer network for images of the given shape.
func ResNet20(input [3]int, classes int) Config {
	return Config{InputShape: input, Classes: classes, Depth: 20, Widths: [3]int{16, 32, 64}}
}

func (c Config) withDefaults() Config {
	if c.InputShape == [3]int{} {
		c.InputShape = [3]int{3, 32, 32}
	}
	if c.Classes == 0 {
		c.Classes = 10
	}
	if c.Depth == 0 {
		c.Depth = 20
	}
	if c.Widths == [3]int{} {
		c.Widths = [3]int{16, 32, 64}
	}
	return c
}

// Validate reports the first problem with c.
func (c Config) Validate() error {
	c = c.withDefaults()
	if c.Depth < 8 || c.Depth > MaxDepth || (c.Depth-2)%6 != 0 {
		return fmt.Errorf("resnet: depth must be 6n+2 between 8 and %d, got %d", MaxDepth, c.Depth)
	}
	for i, w := range c.Widths {
		if w <= 0 || w > 4096 {
			return fmt.Errorf("resnet: stage %d width must be in [1, 4096], got %d", i+1, w)
		}
	}
	if c.Classes < 2 || c.Classes > 1<<16 {
		return fmt.Errorf("resnet: classes must be in [2, 65536], got %d", c.Classes)
	}
	for i, d := range c.InputShape {
		if d <= 0 || d > 4096 {
			return fmt.Errorf("resnet: input shape %v: dimension %d must be in [1, 4096]", c.InputShape, i+1)
		}
	}
	if c.InputShape[1] < 4 || c.InputShape[2] < 4 {
		return fmt.Errorf("resnet: input shape %v: images must be at least 4x4 (two stride-2 stages)", c.InputShape)
	}
	return nil
}

// New builds the network with nn's graph builder, drawing weights from rng:
// convolutions from He's normal initialiser (the paper's), the classifier
// from Glorot's uniform one. Layer names follow torchvision's state-dict
// keys ("layer2.0.downsample.0" is the 1x1 projection of stage 2's first
// block), so parameters map one to one onto a PyTorch ResNet's.
func New(cfg Config, rng *rand.Rand) (*nn.GraphModel, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := cfg.withDefaults()
	b := nn.NewGraphBuilder(rng)
	b.Name = fmt.Sprintf("resnet%d", c.Depth)
	b.Init = nn.HeNormal
	x := b.Input("input", c.InputShape[:]...)
	x = b.ReLU("relu", b.BatchNorm("bn1", b.Conv2D("conv1", x, c.Widths[0], 3, 1, 1, false)))
	n := (c.Depth - 2) / 6
	for stage, width := range c.Widths {
		for block := 0; block < n; block++ {
			stride := 1
			if stage > 0 && block == 0 {
				stride = 2
			}
			x = BasicBlock(b, fmt.Sprintf("layer%d.%d", stage+1, block), x, width, stride)
		}
	}
	x = b.GlobalAvgPool2D("avgpool", x)
	b.Init = nn.GlorotUniform
	return b.Build(b.Dense("fc", x, c.Classes))
}

// BasicBlock applies torchvision's BasicBlock to x: conv3x3 (stride) - BN -
// ReLU - conv3x3 - BN, plus the shortcut, then ReLU. The shortcut is x
// itself when the shape stays, else a 1x1 convolution with the stride and a
// BatchNorm (the paper's option B). Convolutions have no bias. Layers are
// named name+".conv1", ".bn1", ".relu1", ".conv2", ".bn2", ".downsample.0"
// and ".downsample.1" (the projection), ".add" and ".relu2".
func BasicBlock(b *nn.GraphBuilder, name string, x nn.Ref, filters, stride int) nn.Ref {
	shortcut := x
	if in := x.Shape(); len(in) == 3 && (stride != 1 || in[0] != filters) {
		shortcut = b.BatchNorm(name+".downsample.1", b.Conv2D(name+".downsample.0", x, filters, 1, stride, 0, false))
	}
	y := b.ReLU(name+".relu1", b.BatchNorm(name+".bn1", b.Conv2D(name+".conv1", x, filters, 3, stride, 1, false)))
	y = b.BatchNorm(name+".bn2", b.Conv2D(name+".conv2", y, filters, 3, 1, 1, false))
	return b.ReLU(name+".relu2", b.Add(name+".add", y, shortcut))
}
