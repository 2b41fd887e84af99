package distill

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/gozoo/gozoo/io/loader"
	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/nn"
	"github.com/gozoo/gozoo/optim"
	"github.com/gozoo/gozoo/predict"
	"github.com/gozoo/gozoo/recipes"
	"github.com/gozoo/gozoo/zoo"
	"github.com/gozoo/gozoo/zoo/mlp"
)

// Settings of a distillation run. Zero fields take the defaults noted.
type Settings struct {
	// Temperature softens the teacher's and the student's softmax; default
	// 4.
	Temperature float64
	// Alpha weighs the soft term against the hard labels' cross-entropy;
	// default 0.9.
	Alpha float64
	// Epochs default to 30 (a small student gains from distillation only
	// when trained long enough to overfit on its own, docs/recipes/distill.md),
	// BatchSize to 64, LearningRate (Adam, decayed by a cosine to 0 over the
	// run: the seed MLP's recipe) to 1e-3.
	Epochs       int
	BatchSize    int
	LearningRate float64
	// Seed fixes the shuffling.
	Seed uint64
	// DataDir is the image data folder ("" for MNIST's copy in the module
	// cache).
	DataDir string
	// Limit, if positive, trains on the first Limit training samples only
	// (a quick run); the test set is always whole.
	Limit int
	// Progress, if set, receives the training progress.
	Progress io.Writer
}

func (s *Settings) defaults() error {
	if s.Temperature == 0 {
		s.Temperature = 4
	}
	if s.Alpha == 0 {
		s.Alpha = 0.9
	}
	if s.Epochs == 0 {
		s.Epochs = 30
	}
	if s.BatchSize == 0 {
		s.BatchSize = 64
	}
	if s.LearningRate == 0 {
		s.LearningRate = 1e-3
	}
	switch {
	case s.Epochs < 0 || s.Epochs > 10000:
		return fmt.Errorf("distill: epochs must be between 1 and 10000, got %d", s.Epochs)
	case s.BatchSize < 0 || s.BatchSize > 65536:
		return fmt.Errorf("distill: batch size must be between 1 and 65536, got %d", s.BatchSize)
	case !(s.LearningRate > 0) || math.IsInf(s.LearningRate, 0):
		return fmt.Errorf("distill: learning rate must be positive, got %v", s.LearningRate)
	}
	return nn.DistillationLoss{Temperature: s.Temperature, Alpha: s.Alpha}.Validate()
}

// Report is the outcome of a run: test accuracies on the student's test
// set (and the teacher's on its own).
type Report struct {
	TeacherAccuracy float64 `json:"teacher_accuracy,omitempty"`
	StudentAccuracy float64 `json:"student_accuracy"`
	StudentLoss     float64 `json:"student_loss"`
	Temperature     float64 `json:"temperature,omitempty"`
	Alpha           float64 `json:"alpha,omitempty"`
	Epochs          int     `json:"epochs"`
}

// Student builds the student a command line names: a preset (zoo.PresetNames,
// fed as the preset's card, on the teacher's dataset where the preset
// takes it), an MLP shape such as "mlp:784-32-10" (fed as the
// teacher, flattened), or a model file with its card. seed fixes the new
// model's initial weights.
func Student(arch string, teacher *modelcard.Card, dataDir string, seed uint64) (zoo.Model, *modelcard.Card, error) {
	rng := rand.New(rand.NewPCG(seed, 0))
	if shape, ok := strings.CutPrefix(arch, "mlp:"); ok {
		var sizes []int
		for _, part := range strings.Split(shape, "-") {
			n, err := strconv.Atoi(part)
			if err != nil || n <= 0 || n > 1<<16 {
				return nil, nil, fmt.Errorf("distill: student %q: want mlp:IN-HIDDEN...-OUT with positive widths", arch)
			}
			sizes = append(sizes, n)
		}
		if len(sizes) < 2 {
			return nil, nil, fmt.Errorf("distill: student %q: want at least inputs and outputs", arch)
		}
		card, err := flatCard(teacher, sizes[0])
		if err != nil {
			return nil, nil, err
		}
		m, err := mlp.New(mlp.Config{Inputs: sizes[0], Hidden: sizes[1 : len(sizes)-1], Outputs: sizes[len(sizes)-1]}, rng)
		return m, card, err
	}
	if p, err := zoo.PresetNamed(arch); err == nil {
		if teacher != nil && slices.Contains(p.DatasetNames(), teacher.Dataset) {
			// Learn the teacher's data: a lenet5 student of a
			// Fashion-MNIST teacher is lenet5 on Fashion-MNIST.
			if p, err = p.ForDataset(teacher.Dataset); err != nil {
				return nil, nil, err
			}
		}
		m, err := p.Build(rng)
		if err != nil {
			return nil, nil, err
		}
		card, err := p.Card(dataDir)
		return m, card, err
	}
	if _, err := os.Stat(arch); err != nil {
		return nil, nil, fmt.Errorf("distill: student %q is not a preset (%s), an mlp:IN-...-OUT shape or a model file", arch, strings.Join(zoo.PresetNames(), ", "))
	}
	m, card, err := zoo.Load(arch)
	if err != nil {
		return nil, nil, err
	}
	if card == nil {
		return nil, nil, fmt.Errorf("distill: %s has no model card", arch)
	}
	return m, card, nil
}

// flatCard is the teacher's card for a student taking its input flattened.
func flatCard(teacher *modelcard.Card, inputs int) (*modelcard.Card, error) {
	size := 1
	for _, d := range teacher.Shape {
		size *= d
	}
	if size != inputs {
		return nil, fmt.Errorf("distill: the student takes %d inputs, the teacher's data has %d (%v)", inputs, size, teacher.Shape)
	}
	if len(teacher.Shape) == 3 && teacher.Shape[0] != 1 {
		return nil, fmt.Errorf("distill: a flat student of %d-channel images is not supported; use a preset", teacher.Shape[0])
	}
	c := *teacher
	c.Shape = []int{inputs}
	return &c, nil
}

// Distill trains student from teacher on the training set both cards name
// (the same samples, each in its model's input form) and evaluates it on
// the test set.
func Distill(ctx context.Context, teacher nn.Model, teacherCard *modelcard.Card, student nn.Model, studentCard *modelcard.Card, s Settings) (*Report, error) {
	if err := s.defaults(); err != nil {
		return nil, err
	}
	if teacher == nil || teacherCard == nil || student == nil || studentCard == nil {
		return nil, fmt.Errorf("distill: needs a teacher and a student, each with its card")
	}
	k := student.OutputShape()[0]
	if t := teacher.OutputShape()[0]; t != k {
		return nil, fmt.Errorf("distill: the teacher has %d classes, the student %d", t, k)
	}
	if teacherCard.Regression() || studentCard.Regression() {
		return nil, fmt.Errorf("distill: teacher and student must be classifiers")
	}
	if teacherCard.Dataset != studentCard.Dataset {
		return nil, fmt.Errorf("distill: the teacher learned %s, the student would learn %s", teacherCard.Dataset, studentCard.Dataset)
	}
	tdata, err := teacherCard.Data(s.DataDir)
	if err != nil {
		return nil, err
	}
	sdata, err := studentCard.Data(s.DataDir)
	if err != nil {
		return nil, err
	}
	if err := limit(tdata, s.Limit); err != nil {
		return nil, err
	}
	if err := limit(sdata, s.Limit); err != nil {
		return nil, err
	}
	train, err := softTargets(ctx, teacher, teacherCard, tdata.Train, sdata.Train, s.Temperature)
	if err != nil {
		return nil, err
	}
	loss := nn.DistillationLoss{Temperature: s.Temperature, Alpha: s.Alpha}
	if err := fit(ctx, student, loss, train, s); err != nil {
		return nil, err
	}
	rep, err := evaluate(ctx, student, sdata.Test, s)
	if err != nil {
		return nil, err
	}
	tev, err := recipes.Evaluate(ctx, teacher, nn.SoftmaxCrossEntropy{}, tdata.Test, 256)
	if err != nil {
		return nil, err
	}
	rep.TeacherAccuracy, rep.Temperature, rep.Alpha = tev.Accuracy, s.Temperature, s.Alpha
	return rep, nil
}

// TrainAlone trains student on the hard labels only, with the same recipe
// and seed as Distill: the baseline distillation is measured against.
func TrainAlone(ctx context.Context, student nn.Model, card *modelcard.Card, s Settings) (*Report, error) {
	if err := s.defaults(); err != nil {
		return nil, err
	}
	data, err := card.Data(s.DataDir)
	if err != nil {
		return nil, err
	}
	if err := limit(data, s.Limit); err != nil {
		return nil, err
	}
	if err := fit(ctx, student, nn.SoftmaxCrossEntropy{}, data.Train, s); err != nil {
		return nil, err
	}
	return evaluate(ctx, student, data.Test, s)
}

// limit keeps the first n training samples (all for n <= 0).
func limit(d *modelcard.Data, n int) error {
	if n <= 0 || n >= d.Train.Len() {
		return nil
	}
	var err error
	d.Train, _, err = loader.Split(d.Train, n, nil)
	return err
}

func fit(ctx context.Context, m nn.Model, loss nn.Loss, train loader.Dataset, s Settings) error {
	opt, err := optim.NewAdam(optim.AdamSettings{LearningRate: s.LearningRate})
	if err != nil {
		return err
	}
	tr, err := recipes.NewTrainer(m, loss, opt, s.Seed)
	if err != nil {
		return err
	}
	defer tr.Close()
	steps := (train.Len() + s.BatchSize - 1) / s.BatchSize
	callbacks := []recipes.Callback{&recipes.LRScheduler{PerStep: true, Schedule: optim.CosineWarmup{Base: s.LearningRate, Total: s.Epochs * steps}}}
	if s.Progress != nil {
		callbacks = append(callbacks, &recipes.Progress{W: s.Progress})
	}
	_, err = tr.Fit(ctx, train, recipes.FitOptions{Epochs: s.Epochs, BatchSize: s.BatchSize, Callbacks: callbacks})
	return err
}

func evaluate(ctx context.Context, m nn.Model, test loader.Dataset, s Settings) (*Report, error) {
	ev, err := recipes.Evaluate(ctx, m, nn.SoftmaxCrossEntropy{}, test, 256)
	if err != nil {
		return nil, err
	}
	return &Report{StudentAccuracy: ev.Accuracy, StudentLoss: ev.Loss, Epochs: s.Epochs}, nil
}

// softTargets runs the teacher over its training set once and returns the
// student's training set with targets [one-hot label | teacher softmax at
// t]. The two sets must hold the same samples in the same order.
func softTargets(ctx context.Context, teacher nn.Model, card *modelcard.Card, tset, sset loader.Dataset, t float64) (*softened, error) {
	tc, ok1 := tset.(loader.Classified)
	sc, ok2 := sset.(loader.Classified)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("distill: the training data must be labelled")
	}
	if tc.Len() != sc.Len() {
		return nil, fmt.Errorf("distill: the teacher's training set has %d samples, the student's %d", tc.Len(), sc.Len())
	}
	p, err := predict.New(teacher, card, predict.Options{MaxBatch: 256})
	if err != nil {
		return nil, err
	}
	defer p.Close()
	k := p.OutputSize()
	soft := make([]float32, 0, tc.Len()*k)
	const chunk = 1024
	x := make([]float32, chunk*p.InputSize())
	idx := make([]int, 0, chunk)
	for start := 0; start < tc.Len(); start += chunk {
		idx = idx[:0]
		for i := start; i < min(start+chunk, tc.Len()); i++ {
			if tc.Label(i) != sc.Label(i) {
				return nil, fmt.Errorf("distill: sample %d is labelled %d for the teacher, %d for the student", i, tc.Label(i), sc.Label(i))
			}
			idx = append(idx, i)
		}
		buf := x[:len(idx)*p.InputSize()]
		if err := loader.FillInputs(tc, idx, buf); err != nil {
			return nil, err
		}
		logits, err := p.Predict(ctx, buf)
		if err != nil {
			return nil, err
		}
		for r := range idx {
			soft = appendSoftmax(soft, logits[r*k:(r+1)*k], t)
		}
	}
	return &softened{Classified: sc, soft: soft, k: k}, nil
}

// appendSoftmax appends softmax(z/t), computed in float64.
func appendSoftmax(dst, z []float32, t float64) []float32 {
	m := math.Inf(-1)
	for _, v := range z {
		m = math.Max(m, float64(v)/t)
	}
	var sum float64
	e := make([]float64, len(z))
	for j, v := range z {
		e[j] = math.Exp(float64(v)/t - m)
		sum += e[j]
	}
	for j := range e {
		dst = append(dst, float32(e[j]/sum))
	}
	return dst
}

// softened is a training set whose targets hold the label and the
// teacher's probabilities, for nn.DistillationLoss.
type softened struct {
	loader.Classified
	soft []float32
	k    int
}

func (s *softened) TargetSize() int { return 2 * s.k }

func (s *softened) Target(i int, dst []float32) {
	clear(dst[:s.k])
	dst[s.Label(i)] = 1
	copy(dst[s.k:], s.soft[i*s.k:(i+1)*s.k])
}
