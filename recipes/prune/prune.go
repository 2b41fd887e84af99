package prune

import (
	"context"
	"fmt"
	"io"
	"math"
	"sort"

	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/nn"
	"github.com/gozoo/gozoo/optim"
	"github.com/gozoo/gozoo/recipes"
	"github.com/gozoo/gozoo/zoo"
)

// Prunable returns the weights magnitude pruning applies to: those of the
// Dense and Conv2D layers (not biases or BatchNorm parameters), in layer
// order.
func Prunable(m nn.Model) ([]*nn.Param, error) {
	layered, ok := m.(interface{ Layers() []nn.Layer })
	if !ok {
		return nil, fmt.Errorf("prune: the model has no layer list")
	}
	var params []*nn.Param
	for _, l := range layered.Layers() {
		switch l := l.(type) {
		case *nn.Dense:
			params = append(params, l.Weight)
		case *nn.Conv2D:
			params = append(params, l.Weight)
		}
	}
	if len(params) == 0 {
		return nil, fmt.Errorf("prune: the model has no Dense or Conv2D weights")
	}
	return params, nil
}

func checkSparsity(s float64) error {
	if !(s >= 0 && s < 1) {
		return fmt.Errorf("prune: sparsity must be in [0, 1), got %v", s)
	}
	return nil
}

// Magnitude masks the smallest-magnitude values of params so that a
// fraction sparsity of them is zero: of each parameter on its own, or of
// all of them together with global. Values already masked stay masked
// (they are zero, the smallest). Ties go to the lower index.
func Magnitude(params []*nn.Param, sparsity float64, global bool) error {
	if err := checkSparsity(sparsity); err != nil {
		return err
	}
	if !global {
		for _, p := range params {
			if err := maskSmallest([]*nn.Param{p}, sparsity); err != nil {
				return err
			}
		}
		return nil
	}
	return maskSmallest(params, sparsity)
}

// maskSmallest masks the round(sparsity*n) smallest |values| of params,
// taken together.
func maskSmallest(params []*nn.Param, sparsity float64) error {
	type ref struct {
		abs      float32
		param, i int
	}
	var refs []ref
	for pi, p := range params {
		for i, v := range p.Data() {
			refs = append(refs, ref{float32(math.Abs(float64(v))), pi, i})
		}
	}
	sort.Slice(refs, func(a, b int) bool {
		if refs[a].abs != refs[b].abs {
			return refs[a].abs < refs[b].abs
		}
		if refs[a].param != refs[b].param {
			return refs[a].param < refs[b].param
		}
		return refs[a].i < refs[b].i
	})
	k := int(math.Round(sparsity * float64(len(refs))))
	keep := make([][]bool, len(params))
	for pi, p := range params {
		keep[pi] = make([]bool, len(p.Data()))
		for i := range keep[pi] {
			keep[pi][i] = true
		}
	}
	for _, r := range refs[:k] {
		keep[r.param][r.i] = false
	}
	for pi, p := range params {
		if err := p.SetMask(keep[pi]); err != nil {
			return err
		}
	}
	return nil
}

// Cubic is the gradual pruning schedule of Zhu and Gupta: from Initial at
// step Begin to Final at step End, s(t) = Final + (Initial - Final)(1 -
// (t-Begin)/(End-Begin))^3, pruning every Every steps from Begin and at End.
type Cubic struct {
	Initial, Final float64
	Begin, End     int64
	Every          int64
}

// Validate checks the schedule.
func (c Cubic) Validate() error {
	if err := checkSparsity(c.Initial); err != nil {
		return err
	}
	if err := checkSparsity(c.Final); err != nil {
		return err
	}
	if c.Begin < 0 || c.End < c.Begin || c.Every <= 0 {
		return fmt.Errorf("prune: schedule steps begin %d, end %d, every %d: want 0 <= begin <= end and every > 0", c.Begin, c.End, c.Every)
	}
	return nil
}

// At returns the sparsity at step t and whether step t prunes.
func (c Cubic) At(t int64) (float64, bool) {
	switch {
	case t < c.Begin:
		return c.Initial, false
	case t >= c.End:
		return c.Final, t == c.End
	}
	frac := 1 - float64(t-c.Begin)/float64(c.End-c.Begin)
	return c.Final + (c.Initial-c.Final)*frac*frac*frac, (t-c.Begin)%c.Every == 0
}

// Pruner is a callback that prunes Params along Schedule as training goes:
// before each step the schedule marks, it masks the smallest weights to the
// schedule's sparsity. Masks stay on the parameters, so the trainer and the
// optimizer keep pruned weights at zero between pruning steps.
type Pruner struct {
	recipes.BaseCallback
	Params   []*nn.Param
	Schedule Cubic
	Global   bool
}

func (p *Pruner) OnTrainBegin(*recipes.Run) error {
	if len(p.Params) == 0 {
		return fmt.Errorf("prune: pruner has no parameters")
	}
	return p.Schedule.Validate()
}

func (p *Pruner) OnBatchBegin(r *recipes.Run, _ int) error {
	if s, now := p.Schedule.At(r.Trainer.Step); now {
		return Magnitude(p.Params, s, p.Global)
	}
	return nil
}

// Settings of Prune. Zero fields take the defaults noted.
type Settings struct {
	// Sparsity is the fraction of the prunable weights (Prunable) to zero,
	// in [0, 1).
	Sparsity float64
	// Global ranks all prunable weights together (one threshold), rather
	// than each layer's on its own.
	Global bool
	// Epochs of fine-tuning; 0 prunes at once with none.
	Epochs int
	// BatchSize defaults to 64; LearningRate (Adam's, decayed by a cosine
	// to 0 over the fine-tuning) to 1e-3.
	BatchSize    int
	LearningRate float64
	// Seed fixes the shuffling (and dropout masks).
	Seed uint64
	// Progress, if set, receives the training progress.
	Progress io.Writer
}

// LayerSparsity is one pruned weight's zeros.
type LayerSparsity struct {
	Param string `json:"param"`
	Zeros int    `json:"zeros"`
	Size  int    `json:"size"`
}

// Report is the outcome of Prune.
type Report struct {
	Layers []LayerSparsity `json:"layers"`
	// Sparsity is the fraction of zeros over all prunable weights.
	Sparsity float64 `json:"sparsity"`
	// Before and After are the test-set evaluations of the model as given
	// and as pruned (and fine-tuned).
	Before, After  *recipes.Evaluation `json:"-"`
	AccuracyBefore float64             `json:"accuracy_before"`
	AccuracyAfter  float64             `json:"accuracy_after"`
}

// Prune prunes m in place to s.Sparsity: with Epochs, gradually over the
// first two thirds of the fine-tuning steps (every tenth of an epoch), then
// fine-tuning at the final sparsity; the training data is data.Train and
// the report evaluates on data.Test.
func Prune(ctx context.Context, m zoo.Model, card *modelcard.Card, data *modelcard.Data, s Settings) (*Report, error) {
	if err := checkSparsity(s.Sparsity); err != nil {
		return nil, err
	}
	if s.Epochs < 0 || s.Epochs > 10000 {
		return nil, fmt.Errorf("prune: epochs must be between 0 and 10000, got %d", s.Epochs)
	}
	if s.BatchSize == 0 {
		s.BatchSize = 64
	}
	if s.LearningRate == 0 {
		s.LearningRate = 1e-3
	}
	if card == nil || data == nil || data.Train == nil || data.Test == nil {
		return nil, fmt.Errorf("prune: needs the model's card and its training and test data")
	}
	params, err := Prunable(m)
	if err != nil {
		return nil, err
	}
	loss := recipes.LossFor(card)
	rep := &Report{}
	if rep.Before, err = recipes.Evaluate(ctx, m, loss, data.Test, 256); err != nil {
		return nil, err
	}
	if s.Epochs == 0 {
		if err := Magnitude(params, s.Sparsity, s.Global); err != nil {
			return nil, err
		}
	} else if err := fineTune(ctx, m, loss, params, data, s); err != nil {
		return nil, err
	}
	if rep.After, err = recipes.Evaluate(ctx, m, loss, data.Test, 256); err != nil {
		return nil, err
	}
	rep.AccuracyBefore, rep.AccuracyAfter = rep.Before.Accuracy, rep.After.Accuracy
	rep.Layers, rep.Sparsity = Count(params)
	return rep, nil
}

func fineTune(ctx context.Context, m zoo.Model, loss nn.Loss, params []*nn.Param, data *modelcard.Data, s Settings) error {
	opt, err := optim.NewAdam(optim.AdamSettings{LearningRate: s.LearningRate})
	if err != nil {
		return err
	}
	tr, err := recipes.NewTrainer(m, loss, opt, s.Seed)
	if err != nil {
		return err
	}
	defer tr.Close()
	steps := int64((data.Train.Len() + s.BatchSize - 1) / s.BatchSize)
	total := steps * int64(s.Epochs)
	callbacks := []recipes.Callback{
		&Pruner{Params: params, Global: s.Global, Schedule: Cubic{
			Final: s.Sparsity, End: total * 2 / 3, Every: max(1, steps/10)}},
		&recipes.LRScheduler{PerStep: true, Schedule: optim.CosineWarmup{Base: s.LearningRate, Total: int(total)}},
	}
	if s.Progress != nil {
		callbacks = append(callbacks, &recipes.Progress{W: s.Progress})
	}
	_, err = tr.Fit(ctx, data.Train, recipes.FitOptions{Epochs: s.Epochs, BatchSize: s.BatchSize, Callbacks: callbacks})
	return err
}

// Count returns the zeros of each parameter and the fraction of zeros over
// all of them.
func Count(params []*nn.Param) ([]LayerSparsity, float64) {
	var out []LayerSparsity
	zeros, size := 0, 0
	for _, p := range params {
		l := LayerSparsity{Param: p.Name, Size: len(p.Data())}
		for _, v := range p.Data() {
			if v == 0 {
				l.Zeros++
			}
		}
		zeros += l.Zeros
		size += l.Size
		out = append(out, l)
	}
	return out, float64(zeros) / float64(max(size, 1))
}
