package main

import (
	"flag"

	"github.com/gozoo/gozoo/recipes"
)

// trainingFlags are the callback-backed knobs of gozoo train (early
// stopping, schedules, history).
type trainingFlags struct{}

func (t *trainingFlags) register(fs *flag.FlagSet) {}

func (t *trainingFlags) validate() error { return nil }

func (t *trainingFlags) callbacks(out string, extra map[string]string) ([]recipes.Callback, error) {
	return nil, nil
}
