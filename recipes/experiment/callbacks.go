package experiment

import (
	"path/filepath"

	"github.com/gozoo/gozoo/optim"
	"github.com/gozoo/gozoo/recipes"
)

// callbacks returns the run's own callbacks, Stateful ones first so that a
// checkpoint written after them holds their state for the same epoch: the
// schedule, early stopping and the history files. lr is the schedule's base
// rate and steps the optimizer steps per epoch.
func (e *Experiment) callbacks(lr float64, steps int) ([]recipes.Callback, error) {
	s := e.Settings
	sc := s.Schedule
	var cbs []recipes.Callback
	gamma := func(def float64) float64 {
		if sc.Gamma > 0 {
			return sc.Gamma
		}
		return def
	}
	switch sc.Kind {
	case "step":
		size := sc.StepSize
		if size == 0 {
			size = max(1, s.Epochs/3)
		}
		cbs = append(cbs, &recipes.LRScheduler{Schedule: optim.StepDecay{Base: lr, StepSize: size, Gamma: gamma(0.1)}})
	case "exp":
		cbs = append(cbs, &recipes.LRScheduler{Schedule: optim.Exponential{Base: lr, Gamma: gamma(0.9)}})
	case "cosine":
		cbs = append(cbs, &recipes.LRScheduler{PerStep: true, Schedule: optim.CosineWarmup{
			Base: lr, Warmup: sc.Warmup * steps, Total: s.Epochs * steps}})
	case "plateau":
		mode := optim.Minimize
		if !s.Monitor.LowerIsBetter() {
			mode = optim.Maximize
		}
		cbs = append(cbs, &recipes.ReduceLROnPlateau{Monitor: s.Monitor,
			Plateau: optim.ReduceOnPlateau{Factor: gamma(0.1), Patience: 2, Mode: mode}})
	}
	if s.EarlyStop > 0 {
		cbs = append(cbs, &recipes.EarlyStopping{Monitor: s.Monitor, Patience: s.EarlyStop, RestoreBest: true})
	}
	if s.Out != "" {
		cbs = append(cbs, &recipes.HistoryLogger{
			JSONPath: filepath.Join(s.Out, HistoryJSONFile),
			CSVPath:  filepath.Join(s.Out, HistoryCSVFile),
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
