package nn

import (
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
)

// Pair returns [2]int{n, n}: a square kernel, or the same stride or padding
// along height and width.
func Pair(n int) [2]int { return [2]int{n, n} }

// window is the geometry shared by convolution and pooling: kernel, stride
// and symmetric zero padding, each as (height, width).
type window struct {
	kernel, stride, padding [2]int
}

func (w window) check() error {
	for i, axis := range [2]string{"height", "width"} {
		if w.kernel[i] <= 0 {
			return fmt.Errorf("kernel %s must be positive, got %d", axis, w.kernel[i])
		}
		if w.stride[i] <= 0 {
			return fmt.Errorf("stride %s must be positive, got %d", axis, w.stride[i])
		}
		if w.padding[i] < 0 {
			return fmt.Errorf("padding %s must not be negative, got %d", axis, w.padding[i])
		}
	}
	return nil
}

// outputHW applies out = floor((in + 2p - k) / s) + 1 to height and width,
// and fails if the padded input is smaller than the kernel.
func (w window) outputHW(h, wd int) (int, int, error) {
	in := [2]int{h, wd}
	var out [2]int
	for i, axis := range [2]string{"height", "width"} {
		padded := in[i] + 2*w.padding[i]
		if padded < w.kernel[i] {
			return 0, 0, fmt.Errorf("input %s %d (padded to %d) is smaller than the kernel %s %d",
				axis, in[i], padded, axis, w.kernel[i])
		}
		out[i] = (padded-w.kernel[i])/w.stride[i] + 1
	}
	return out[0], out[1], nil
}

func (w window) String() string {
	return fmt.Sprintf("kernel %dx%d, stride %dx%d, padding %dx%d",
		w.kernel[0], w.kernel[1], w.stride[0], w.stride[1], w.padding[0], w.padding[1])
}

// imageShape checks that in is a per-sample [C, H, W] shape.
func imageShape(in []int) (c, h, w int, err error) {
	if len(in) != 3 {
		return 0, 0, 0, fmt.Errorf("wants a [channels, height, width] input, got shape %v", in)
	}
	for _, d := range in {
		if d <= 0 {
			return 0, 0, 0, fmt.Errorf("input shape %v has a non-positive dimension", in)
		}
	}
	return in[0], in[1], in[2], nil
}

// Conv2D is a 2-D convolution over [C, H, W] images (cross-correlation, as in
// PyTorch's nn.Conv2d). Weight has PyTorch's layout [out, in, kh, kw] and
// Bias, if present, shape [out].
type Conv2D struct {
	name         string
	in, out      int
	win          window
	Weight, Bias *Param
	initName     string // as for Dense
}

// NewConv2D creates a convolution with weights from init (fan-in in*kh*kw,
// fan-out out*kh*kw) and, if bias is true, zero biases. Use Pair for square
// kernels and equal strides or padding.
func NewConv2D(name string, in, out int, kernel, stride, padding [2]int, bias bool, init Initializer, rng *rand.Rand) (*Conv2D, error) {
	if in <= 0 || out <= 0 {
		return nil, fmt.Errorf("nn: conv2d %q: channels must be positive, got %d in and %d out", name, in, out)
	}
	win := window{kernel: kernel, stride: stride, padding: padding}
	if err := win.check(); err != nil {
		return nil, fmt.Errorf("nn: conv2d %q: %w", name, err)
	}
	if init == nil {
		return nil, fmt.Errorf("nn: conv2d %q: needs an initializer", name)
	}
	w, err := NewParam(name+"/weight", true, out, in, kernel[0], kernel[1])
	if err != nil {
		return nil, err
	}
	area := kernel[0] * kernel[1]
	if err := initialize(fmt.Sprintf("conv2d %q", name), init, rng, in*area, out*area, w.Data()); err != nil {
		return nil, err
	}
	c := &Conv2D{name: name, in: in, out: out, win: win, Weight: w}
	if bias {
		if c.Bias, err = NewParam(name+"/bias", true, out); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *Conv2D) Name() string { return c.name }

func (c *Conv2D) Params() []*Param {
	if c.Bias == nil {
		return []*Param{c.Weight}
	}
	return []*Param{c.Weight, c.Bias}
}

func (c *Conv2D) OutputShape(in []int) ([]int, error) {
	ch, h, w, err := imageShape(in)
	if err != nil {
		return nil, err
	}
	if ch != c.in {
		return nil, fmt.Errorf("wants %d input channels, got shape %v", c.in, in)
	}
	oh, ow, err := c.win.outputHW(h, w)
	if err != nil {
		return nil, err
	}
	return []int{c.out, oh, ow}, nil
}

func (c *Conv2D) Forward(g *Graph, x *G.Node) (y *G.Node, err error) {
	if _, err := c.OutputShape(x.Shape()[1:]); err != nil {
		return nil, err
	}
	defer catch(&err, "conv2d")
	var b *G.Node
	if c.Bias != nil {
		b = g.Node(c.Bias)
	}
	// The program's input needs no gradient; skipping it saves the first
	// layer's col2im pass.
	return convolve(x, g.Node(c.Weight), b, c.win, x != g.input, g.Mode == Training)
}

// convolve builds the convolution of x [B, C, H, W] with w [O, C, kh, kw]
// (plus b [O] if b is not nil) into [B, O, OH, OW]. It is the one place that
// chooses how convolution is computed (conv_op.go: one matrix product per
// image, straight into NCHW), so a faster implementation can replace it
// without touching the layers. inputGrads says whether x needs a gradient;
// training, whether the graph will be differentiated (the op then keeps
// every image's columns for the weight gradient).
func convolve(x, w, b *G.Node, win window, inputGrads, training bool) (*G.Node, error) {
	s := x.Shape()
	oh, ow, err := win.outputHW(s[2], s[3])
	if err != nil {
		return nil, err
	}
	st := newConvState(convGeom{
		c: s[1], h: s[2], w: s[3], o: w.Shape()[0],
		kh: win.kernel[0], kw: win.kernel[1], sh: win.stride[0], sw: win.stride[1],
		ph: win.padding[0], pw: win.padding[1], oh: oh, ow: ow,
		bias: b != nil, inputGrads: inputGrads,
	}, training)
	if b != nil {
		return G.ApplyOp(convOp{st}, x, w, b)
	}
	return G.ApplyOp(convOp{st}, x, w)
}
