package predict

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math/bits"
	"runtime"
	"sort"
	"sync"

	"github.com/gozoo/gozoo/io/imagein"
	"github.com/gozoo/gozoo/metrics"
	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/nn"
	"github.com/gozoo/gozoo/zoo"
)

// ErrClosed is returned by calls on a closed Predictor.
var ErrClosed = errors.New("predict: predictor is closed")

// Options tune a Predictor. The zero value means the defaults.
type Options struct {
	// MaxBatch is the most rows one model run takes; larger calls run in
	// chunks. Default 64. Rows are padded up to a power of two, so at most
	// log2(MaxBatch)+1 batch sizes are ever compiled.
	MaxBatch int
	// Concurrency is how many runs of one batch size may go at once (each
	// needs its own compiled program); more callers wait. Default
	// GOMAXPROCS.
	Concurrency int
}

// Predictor runs one model for inference. It is safe for concurrent use.
type Predictor struct {
	model  nn.Model
	card   *modelcard.Card
	layout *imagein.Layout // nil unless the card describes image input
	in     int
	out    int
	opts   Options

	life   sync.RWMutex // held for reading by every call, for writing by Close
	closed bool
	mu     sync.Mutex // guards pools
	pools  map[int]*pool
	// graphs is held for reading by every run and for writing while a
	// program compiles: Gorgonia's NewTapeMachine writes to the value of
	// every node it binds, the shared parameter tensors included.
	graphs sync.RWMutex
}

// pool holds the compiled programs of one batch size.
type pool struct {
	slots chan struct{}
	mu    sync.Mutex
	free  []*nn.Program
}

// Load reads a model file written by zoo.Save or gozoo train and returns
// its predictor. The file must carry a model card.
func Load(path string) (*Predictor, error) {
	m, card, err := zoo.Load(path)
	if err != nil {
		return nil, err
	}
	if card == nil {
		return nil, fmt.Errorf("predict: %s has no model card: save it with zoo.Save(path, model, card)", path)
	}
	return New(m, card, Options{})
}

// New returns a predictor for m, fed as card says. The predictor reads m's
// parameters on every call: do not train m while it is in use.
func New(m nn.Model, card *modelcard.Card, opts Options) (*Predictor, error) {
	if m == nil || card == nil {
		return nil, fmt.Errorf("predict: a predictor needs a model and its card")
	}
	if err := card.Validate(); err != nil {
		return nil, err
	}
	out := m.OutputShape()
	if len(out) != 1 {
		return nil, fmt.Errorf("predict: model outputs must be vectors, got per-sample shape %v", out)
	}
	if err := card.CheckModel(m.InputShape(), out[0]); err != nil {
		return nil, err
	}
	switch {
	case opts.MaxBatch < 0 || opts.MaxBatch > 1<<16:
		return nil, fmt.Errorf("predict: max batch must be in 1..65536, got %d", opts.MaxBatch)
	case opts.MaxBatch == 0:
		opts.MaxBatch = 64
	}
	switch {
	case opts.Concurrency < 0:
		return nil, fmt.Errorf("predict: concurrency must not be negative, got %d", opts.Concurrency)
	case opts.Concurrency == 0:
		opts.Concurrency = runtime.GOMAXPROCS(0)
	}
	in := 1
	for _, d := range m.InputShape() {
		in *= d
	}
	p := &Predictor{model: m, card: card, in: in, out: out[0], opts: opts, pools: map[int]*pool{}}
	if card.IsImage() && !card.Regression() {
		if l, err := card.ImageLayout(); err == nil {
			p.layout = &l
		}
	}
	return p, nil
}

// Card returns the model card.
func (p *Predictor) Card() *modelcard.Card { return p.card }

// InputSize is the number of float32 values of one input row.
func (p *Predictor) InputSize() int { return p.in }

// OutputSize is the number of outputs per row (classes of a classifier).
func (p *Predictor) OutputSize() int { return p.out }

// Close releases the compiled programs. It waits for calls in flight; later
// calls return ErrClosed.
func (p *Predictor) Close() error {
	p.life.Lock()
	defer p.life.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	var first error
	for _, pl := range p.pools {
		for _, prog := range pl.free {
			if err := prog.Close(); err != nil && first == nil {
				first = err
			}
		}
		pl.free = nil
	}
	return first
}

// Predict runs the model on rows of input, len(x)/InputSize() of them in
// row-major order, and returns their outputs (logits for a classifier),
// row-major [rows, OutputSize()]. A row's outputs do not depend on the
// other rows of the call.
func (p *Predictor) Predict(ctx context.Context, x []float32) ([]float32, error) {
	if ctx == nil {
		return nil, fmt.Errorf("predict: no context")
	}
	p.life.RLock()
	defer p.life.RUnlock()
	if p.closed {
		return nil, ErrClosed
	}
	if len(x) == 0 || len(x)%p.in != 0 {
		return nil, fmt.Errorf("predict: input has %d values, want a positive multiple of %d (the model's input %v)", len(x), p.in, p.model.InputShape())
	}
	rows := len(x) / p.in
	out := make([]float32, 0, rows*p.out)
	for start := 0; start < rows; start += p.opts.MaxBatch {
		n := min(p.opts.MaxBatch, rows-start)
		var err error
		if out, err = p.run(ctx, x[start*p.in:(start+n)*p.in], n, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// run runs n rows through a program whose batch is n rounded up to a power
// of two (the padding rows are zeros), appending their outputs to out.
func (p *Predictor) run(ctx context.Context, x []float32, n int, out []float32) ([]float32, error) {
	// A select with a free slot and a done context picks either at
	// random: check the context first, so a cancelled call always fails.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	size := 1 << bits.Len(uint(n-1))
	pl := p.pool(size)
	select {
	case pl.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-pl.slots }()
	prog, err := p.take(pl, size)
	if err != nil {
		return nil, err
	}
	defer func() {
		pl.mu.Lock()
		pl.free = append(pl.free, prog)
		pl.mu.Unlock()
	}()
	buf := prog.Input()
	copy(buf, x)
	clear(buf[len(x):])
	p.graphs.RLock()
	defer p.graphs.RUnlock()
	if err := prog.Run(nil); err != nil {
		return nil, err
	}
	return append(out, prog.Outputs()[:n*p.out]...), nil
}

func (p *Predictor) pool(size int) *pool {
	p.mu.Lock()
	defer p.mu.Unlock()
	pl, ok := p.pools[size]
	if !ok {
		pl = &pool{slots: make(chan struct{}, p.opts.Concurrency)}
		p.pools[size] = pl
	}
	return pl
}

// take returns a free program of the pool, compiling one if none is free.
func (p *Predictor) take(pl *pool, size int) (*nn.Program, error) {
	pl.mu.Lock()
	if k := len(pl.free); k > 0 {
		prog := pl.free[k-1]
		pl.free = pl.free[:k-1]
		pl.mu.Unlock()
		return prog, nil
	}
	pl.mu.Unlock()
	// Compiling is rare (once per batch size and concurrent caller) and
	// excludes every run.
	p.graphs.Lock()
	defer p.graphs.Unlock()
	return nn.Compile(p.model, nn.Evaluation, size, nil)
}

// Probabilities returns the softmax of each row's outputs, computed in
// float64: a classifier's class probabilities.
func (p *Predictor) Probabilities(ctx context.Context, x []float32) ([]float64, error) {
	logits, err := p.Predict(ctx, x)
	if err != nil {
		return nil, err
	}
	return metrics.Softmax(widen(logits), p.out, nil), nil
}

// Values returns a regression model's outputs in the target's own units
// (the card's target scale undone), one per row.
func (p *Predictor) Values(ctx context.Context, x []float32) ([]float64, error) {
	if !p.card.Regression() {
		return nil, fmt.Errorf("predict: Values is for regression models; this one classifies")
	}
	out, err := p.Predict(ctx, x)
	if err != nil {
		return nil, err
	}
	v := widen(out)
	if s := p.card.TargetScale; s != nil {
		for i := range v {
			v[i] = float64(float32(s.Unscale(v[i])))
		}
	}
	return v, nil
}

func widen(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// ClassScore is one class with its probability.
type ClassScore struct {
	Class int     `json:"class"`
	Name  string  `json:"name"`
	P     float64 `json:"p"`
}

// Classification is one input's result: the predicted class, every class's
// probability, and the TopK most probable classes, most probable first
// (ties keep class order).
type Classification struct {
	Class         int          `json:"class"`
	ClassName     string       `json:"class_name"`
	Probabilities []float64    `json:"probabilities"`
	Top           []ClassScore `json:"top"`
}

// ClassifyOptions tune Classify. The zero value means the defaults.
type ClassifyOptions struct {
	// TopK is how many classes Top lists; default 3 (fewer if the model
	// has fewer classes).
	TopK int
	// Invert says whether to invert the grey levels; the default,
	// imagein.InvertAuto, inverts light-background images for MNIST models.
	Invert imagein.Invert
}

// ImageInput converts img to the model's input as gozoo predict does:
// the card's layout, resize and normalisation.
func (p *Predictor) ImageInput(img image.Image, inv imagein.Invert) ([]float32, error) {
	if p.layout == nil {
		return nil, fmt.Errorf("predict: the model does not take images (dataset %q, input %v)", p.card.Dataset, p.card.Shape)
	}
	if img == nil || img.Bounds().Empty() {
		return nil, fmt.Errorf("predict: empty image")
	}
	return p.layout.Input(img, inv), nil
}

// Classify classifies one image.
func (p *Predictor) Classify(ctx context.Context, img image.Image, opts ClassifyOptions) (*Classification, error) {
	x, err := p.ImageInput(img, opts.Invert)
	if err != nil {
		return nil, err
	}
	cs, err := p.ClassifyInputs(ctx, x, opts.TopK)
	if err != nil {
		return nil, err
	}
	return &cs[0], nil
}

// ClassifyInputs classifies rows of model input (as Predict takes them),
// listing the topK most probable classes of each (0: 3).
func (p *Predictor) ClassifyInputs(ctx context.Context, x []float32, topK int) ([]Classification, error) {
	if p.card.Regression() {
		return nil, fmt.Errorf("predict: this is a regression model, not a classifier")
	}
	if topK < 0 {
		return nil, fmt.Errorf("predict: top-k must not be negative, got %d", topK)
	}
	if topK == 0 {
		topK = 3
	}
	probs, err := p.Probabilities(ctx, x)
	if err != nil {
		return nil, err
	}
	rows := len(probs) / p.out
	out := make([]Classification, rows)
	for r := range out {
		out[r] = p.classification(probs[r*p.out:(r+1)*p.out:(r+1)*p.out], topK)
	}
	return out, nil
}

func (p *Predictor) classification(probs []float64, topK int) Classification {
	order := make([]int, len(probs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return probs[order[a]] > probs[order[b]] })
	c := Classification{Class: order[0], ClassName: p.card.ClassName(order[0]), Probabilities: probs}
	for _, k := range order[:min(topK, len(order))] {
		c.Top = append(c.Top, ClassScore{Class: k, Name: p.card.ClassName(k), P: probs[k]})
	}
	return c
}
