package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"

	"github.com/gozoo/gozoo/io/loader"
	"github.com/gozoo/gozoo/io/mnist"
	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/nn"
	"github.com/gozoo/gozoo/optim"
	"github.com/gozoo/gozoo/predict"
	"github.com/gozoo/gozoo/recipes"
	"github.com/gozoo/gozoo/zoo"
)

// Defaults of Options' zero fields.
const (
	DefaultModel       = "mlp"
	DefaultBatch       = 64
	DefaultSteps       = 200
	DefaultInferBatch  = 256
	DefaultLatencyRuns = 1000
)

// Limits of Options' fields.
const (
	MaxBatch       = 1 << 16 // Batch and InferBatch
	MaxSteps       = 1 << 20 // Steps and InferBatches
	MaxLatencyRuns = 1 << 20
)

// Warm-up before the timed part: a few training steps (the first compiles
// the program and sizes the buffers), one inference batch, and
// min(LatencyRuns, latencyWarmup) single-image predictions.
const (
	warmupSteps   = 3
	latencyWarmup = 100
)

// seed draws the initial weights, the shuffle and the synthetic images, so
// that two runs do the same work.
const seed = 1

// Options say what Run measures. The zero value of each field means its
// default.
type Options struct {
	// Model is a preset name or alias (zoo.PresetNamed): mlp, lenet5,
	// cifar-vgg, ... Default DefaultModel.
	Model string
	// Batch is the training batch size; default DefaultBatch.
	Batch int
	// Steps is the number of timed training steps, after warm-up steps;
	// default DefaultSteps.
	Steps int
	// InferBatch is the inference batch size; default DefaultInferBatch.
	InferBatch int
	// InferBatches is the number of timed inference batches; default
	// enough to cover the test images once (MNIST's 10,000, or 1,024
	// synthetic ones), at least one.
	InferBatches int
	// LatencyRuns is the number of timed batch-1 predictions, after
	// warm-up; default DefaultLatencyRuns.
	LatencyRuns int
	// DataDir is the MNIST folder; "" means mnist.DefaultDir(), the copy
	// in the Go module cache. The synthetic data of cifar-vgg needs none.
	DataDir string
}

// withDefaults returns o with its zero fields set to their defaults.
func (o Options) withDefaults() Options {
	if o.Model == "" {
		o.Model = DefaultModel
	}
	for _, f := range []struct {
		v   *int
		def int
	}{{&o.Batch, DefaultBatch}, {&o.Steps, DefaultSteps}, {&o.InferBatch, DefaultInferBatch}, {&o.LatencyRuns, DefaultLatencyRuns}} {
		if *f.v == 0 {
			*f.v = f.def
		}
	}
	return o
}

// Validate checks the options: counts in range (zero meaning the default)
// and a known model.
func (o Options) Validate() error {
	for _, f := range []struct {
		name   string
		v, max int
	}{
		{"batch", o.Batch, MaxBatch}, {"steps", o.Steps, MaxSteps}, {"infer batch", o.InferBatch, MaxBatch},
		{"infer batches", o.InferBatches, MaxSteps}, {"latency runs", o.LatencyRuns, MaxLatencyRuns},
	} {
		if f.v < 0 || f.v > f.max {
			return fmt.Errorf("bench: %s must be in 1..%d (0: the default), got %d", f.name, f.max, f.v)
		}
	}
	if o.Model == "" {
		return nil
	}
	_, err := zoo.PresetNamed(o.Model)
	return err
}

// Run trains the preset model for opts.Steps timed steps, then measures
// batch inference and single-image latency on the trained model, and
// returns the figures with the machine's description. Cancelling ctx stops
// it between steps or predictions with ctx's error.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if ctx == nil {
		return nil, fmt.Errorf("bench: Run needs a context")
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	w, err := newWorkload(opts.Model, opts.Batch, opts.DataDir)
	if err != nil {
		return nil, err
	}
	defer w.close()
	rep := &Report{Model: w.preset.Name, Data: w.data, Batch: opts.Batch, Steps: opts.Steps,
		InferBatch: opts.InferBatch, LatencyRuns: opts.LatencyRuns}
	rep.describeMachine()
	if err := w.measureTraining(ctx, opts.Steps, rep); err != nil {
		return nil, err
	}
	p, err := w.predictor(opts.InferBatch)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	if err := w.measureInference(ctx, p, opts.InferBatch, opts.InferBatches, rep); err != nil {
		return nil, err
	}
	if err := w.measureLatency(ctx, p, opts.LatencyRuns, rep); err != nil {
		return nil, err
	}
	return rep, nil
}

// workload is a preset model with its trainer and data.
type workload struct {
	preset zoo.Preset
	data   string // Report.Data
	card   *modelcard.Card
	model  zoo.Model
	// train feeds the training steps, test the inference.
	train, test loader.Classified
	trainer     *recipes.Trainer

	batch   int
	batches [][]int // this epoch's full batches
	next    int
	inputs  []float32 // inference input buffer
}

// newWorkload loads the data of a preset and builds its model and trainer.
func newWorkload(model string, batch int, dataDir string) (*workload, error) {
	p, err := zoo.PresetNamed(model)
	if err != nil {
		return nil, err
	}
	w := &workload{preset: p, batch: batch}
	switch p.Dataset {
	case modelcard.MNISTDataset:
		train, test, err := mnist.LoadShaped(dataDir, p.InputShape)
		if err != nil {
			return nil, err
		}
		w.train, w.test, w.data = train, test, DataMNIST
		if w.card, err = p.Card(""); err != nil { // MNIST's card needs no data
			return nil, err
		}
	default:
		rng := rand.New(rand.NewPCG(seed, 2))
		w.train = newSynthetic(p.InputShape, max(syntheticTrain, batch), rng)
		w.test = newSynthetic(p.InputShape, syntheticTest, rng)
		w.data = DataSynthetic
		w.card = &modelcard.Card{Dataset: DataSynthetic, Shape: slices.Clone(p.InputShape)}
	}
	if batch > w.train.Len() {
		return nil, fmt.Errorf("bench: batch %d is larger than the %d training samples", batch, w.train.Len())
	}
	if w.model, err = p.Build(rand.New(rand.NewPCG(seed, 0))); err != nil {
		return nil, err
	}
	adam, err := optim.New("adam", optim.Common{LearningRate: 1e-3})
	if err != nil {
		return nil, err
	}
	if w.trainer, err = recipes.NewTrainer(w.model, nn.SoftmaxCrossEntropy{}, adam, seed); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *workload) close() { w.trainer.Close() }

// step runs one training step on the next full batch of a seeded shuffle,
// drawing a new shuffle when an epoch's batches run out. A last short
// batch is skipped: it would compile a program of its own.
func (w *workload) step() (float64, error) {
	if w.next == len(w.batches) {
		all, err := loader.Epoch(w.train.Len(), w.batch, w.trainer.Rand())
		if err != nil {
			return 0, err
		}
		w.batches, w.next = all[:w.train.Len()/w.batch], 0
	}
	w.next++
	return w.trainer.TrainOnBatch(w.train, w.batches[w.next-1])
}

// stepUnlessDone runs a step unless ctx is done.
func (w *workload) stepUnlessDone(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err := w.step()
	return err
}

// measureTraining runs warm-up steps, then steps timed steps, and fills
// the training figures of rep.
func (w *workload) measureTraining(ctx context.Context, steps int, rep *Report) error {
	for range warmupSteps {
		if err := w.stepUnlessDone(ctx); err != nil {
			return err
		}
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	for range steps {
		if err := w.stepUnlessDone(ctx); err != nil {
			return err
		}
	}
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	rep.TrainSamplesPerSec = float64(steps*w.batch) / elapsed.Seconds()
	rep.TrainStepMs = elapsed.Seconds() * 1e3 / float64(steps)
	rep.AllocsPerStep = float64(after.Mallocs-before.Mallocs) / float64(steps)
	rep.BytesPerStep = float64(after.TotalAlloc-before.TotalAlloc) / float64(steps)
	return nil
}

// predictor returns a predictor of the model that runs batches of up to
// maxBatch rows in one call.
func (w *workload) predictor(maxBatch int) (*predict.Predictor, error) {
	return predict.New(w.model, w.card, predict.Options{MaxBatch: maxBatch, Concurrency: 1})
}

// fill writes the n test images from the first'th on (wrapping around the
// test set) into the input buffer and returns it.
func (w *workload) fill(first, n int) ([]float32, error) {
	size := 1
	for _, d := range w.test.InputShape() {
		size *= d
	}
	if cap(w.inputs) < n*size {
		w.inputs = make([]float32, n*size)
	}
	w.inputs = w.inputs[:n*size]
	idx := make([]int, n)
	for i := range idx {
		idx[i] = (first + i) % w.test.Len()
	}
	return w.inputs, loader.FillInputs(w.test, idx, w.inputs)
}

// predictTimed runs p on the n test images from the first'th on and
// returns how long the Predict call took; filling the input is not timed.
func (w *workload) predictTimed(ctx context.Context, p *predict.Predictor, first, n int) (time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	x, err := w.fill(first, n)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	_, err = p.Predict(ctx, x)
	return time.Since(start), err
}

// measureInference classifies batches of batch test images, after one
// warm-up batch, and sets the inference rate of rep. batches 0 means
// enough to cover the test set once.
func (w *workload) measureInference(ctx context.Context, p *predict.Predictor, batch, batches int, rep *Report) error {
	if _, err := w.predictTimed(ctx, p, 0, batch); err != nil {
		return err
	}
	if batches == 0 {
		batches = max(1, w.test.Len()/batch)
	}
	var total time.Duration
	for b := range batches {
		d, err := w.predictTimed(ctx, p, b*batch, batch)
		if err != nil {
			return err
		}
		total += d
	}
	rep.InferBatches = batches
	rep.InferSamplesPerSec = float64(batches*batch) / total.Seconds()
	return nil
}

// measureLatency times runs single-image predictions, each on the next
// test image, after min(runs, latencyWarmup) untimed ones, and sets the
// latency figures of rep.
func (w *workload) measureLatency(ctx context.Context, p *predict.Predictor, runs int, rep *Report) error {
	for i := range min(runs, latencyWarmup) {
		if _, err := w.predictTimed(ctx, p, i, 1); err != nil {
			return err
		}
	}
	us := make([]float64, runs)
	for i := range us {
		d, err := w.predictTimed(ctx, p, i, 1)
		if err != nil {
			return err
		}
		us[i] = float64(d.Nanoseconds()) / 1e3
	}
	slices.Sort(us)
	rep.LatencyUsMedian, rep.LatencyUsP99 = percentile(us, 50), percentile(us, 99)
	return nil
}

// percentile returns the q-th percentile (0..100) of sorted values,
// interpolating linearly between the two nearest ranks: numpy.percentile's
// default, which scripts/torch_infer.py uses for the peer's figures.
func percentile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	pos := q / 100 * float64(len(sorted)-1)
	lo := int(pos)
	if lo+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	frac := pos - float64(lo)
	return sorted[lo] + frac*(sorted[lo+1]-sorted[lo])
}
