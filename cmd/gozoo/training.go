package main

import (
	"flag"
	"fmt"
	"math"
	"path/filepath"

	"github.com/gozoo/gozoo/optim"
	"github.com/gozoo/gozoo/recipes"
)

// trainingFlags are the callback-backed knobs of gozoo train: early
// stopping, learning-rate schedules and the history files.
type trainingFlags struct {
	earlyStop int
	monitor   string
	schedule  string
	warmup    int
	stepSize  int
	gamma     float64
}

func (t *trainingFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&t.earlyStop, "early-stop", 0, "stop after this many epochs without improvement of -monitor and restore the best weights (0: off)")
	fs.StringVar(&t.monitor, "monitor", "val_loss", "metric for -early-stop and -schedule plateau: val_loss, val_accuracy, train_loss, train_accuracy")
	fs.StringVar(&t.schedule, "schedule", "", "learning-rate schedule: step, exp, cosine (per step, with -warmup), plateau or none (default: cosine for lenet5 and cifar-vgg, none otherwise)")
	fs.IntVar(&t.warmup, "warmup", 0, "with -schedule cosine: epochs of linear warm-up")
	fs.IntVar(&t.stepSize, "step-size", 0, "with -schedule step: epochs between decays (default: a third of -epochs)")
	fs.Float64Var(&t.gamma, "gamma", 0, "decay factor: step 0.1, exp 0.9 per epoch, plateau 0.1 (default)")
}

func (t *trainingFlags) validate() error {
	if t.earlyStop < 0 || t.earlyStop > 100000 {
		return fmt.Errorf("-early-stop must be between 0 and 100000, got %d", t.earlyStop)
	}
	if _, err := recipes.ParseMetric(t.monitor); err != nil {
		return fmt.Errorf("-monitor: %w", err)
	}
	switch t.schedule {
	case "", "none", "step", "exp", "cosine", "plateau":
	default:
		return fmt.Errorf("unknown -schedule %q (want step, exp, cosine, plateau or none)", t.schedule)
	}
	if t.warmup < 0 || t.stepSize < 0 {
		return fmt.Errorf("-warmup and -step-size must not be negative")
	}
	if t.warmup > 0 && t.schedule != "cosine" {
		return fmt.Errorf("-warmup applies to -schedule cosine only")
	}
	if t.stepSize > 0 && t.schedule != "step" {
		return fmt.Errorf("-step-size applies to -schedule step only")
	}
	if t.gamma != 0 && (t.schedule == "" || t.schedule == "none" || t.schedule == "cosine") {
		return fmt.Errorf("-gamma applies to -schedule step, exp or plateau only")
	}
	if t.gamma < 0 || t.gamma >= 1 || math.IsNaN(t.gamma) {
		return fmt.Errorf("-gamma must be in (0, 1), got %v", t.gamma)
	}
	return nil
}

// trainingPlan is what the callbacks need to know about the run.
type trainingPlan struct {
	out           string
	lr            float64
	epochs        int
	stepsPerEpoch int
}

// callbacks returns the callbacks for the flags, Stateful ones first so a
// checkpoint written after them holds their state for the same epoch.
func (t *trainingFlags) callbacks(p trainingPlan) ([]recipes.Callback, error) {
	monitor, err := recipes.ParseMetric(t.monitor)
	if err != nil {
		return nil, err
	}
	var cbs []recipes.Callback
	gamma := func(def float64) float64 {
		if t.gamma > 0 {
			return t.gamma
		}
		return def
	}
	switch t.schedule {
	case "step":
		size := t.stepSize
		if size == 0 {
			size = max(1, p.epochs/3)
		}
		cbs = append(cbs, &recipes.LRScheduler{Schedule: optim.StepDecay{Base: p.lr, StepSize: size, Gamma: gamma(0.1)}})
	case "exp":
		cbs = append(cbs, &recipes.LRScheduler{Schedule: optim.Exponential{Base: p.lr, Gamma: gamma(0.9)}})
	case "cosine":
		cbs = append(cbs, &recipes.LRScheduler{PerStep: true, Schedule: optim.CosineWarmup{
			Base: p.lr, Warmup: t.warmup * p.stepsPerEpoch, Total: p.epochs * p.stepsPerEpoch}})
	case "plateau":
		mode := optim.Minimize
		if !monitor.LowerIsBetter() {
			mode = optim.Maximize
		}
		cbs = append(cbs, &recipes.ReduceLROnPlateau{Monitor: monitor,
			Plateau: optim.ReduceOnPlateau{Factor: gamma(0.1), Patience: 2, Mode: mode}})
	}
	if t.earlyStop > 0 {
		cbs = append(cbs, &recipes.EarlyStopping{Monitor: monitor, Patience: t.earlyStop, RestoreBest: true})
	}
	if p.out != "" {
		cbs = append(cbs, &recipes.HistoryLogger{
			JSONPath: filepath.Join(p.out, historyJSONFileName),
			CSVPath:  filepath.Join(p.out, historyCSVFileName),
		})
	}
	for _, c := range cbs {
		if v, ok := c.(interface{ Validate() error }); ok {
			if err := v.Validate(); err != nil {
				return nil, err
			}
		}
	}
	return cbs, nil
}
