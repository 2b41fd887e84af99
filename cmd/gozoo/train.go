package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gozoo/gozoo/io/csvdata"
	"github.com/gozoo/gozoo/optim"
	"github.com/gozoo/gozoo/recipes"
	"github.com/gozoo/gozoo/recipes/experiment"
	"github.com/gozoo/gozoo/zoo"
)

// trainFlags are gozoo train's flags. Flags the user does not give take
// the defaults of the preset's (or the table's) recipe, from the library.
type trainFlags struct {
	model, dataset, optimizer, data string
	out, resume                     string
	epochs, batch                   int
	lr, weightDecay, clipNorm       float64
	seed                            uint64
	json, quiet, overwrite          bool
	csv, target, task, hidden       string
	split, valSplit                 float64
	earlyStop                       int
	monitor, schedule               string
	warmup, stepSize, keep          int
	gamma                           float64
}

func (f *trainFlags) register(fs *flagSet) {
	presets := zoo.Presets()
	var models []string
	for _, p := range presets {
		models = append(models, p.Name)
	}
	fs.StringVar(&f.model, "model", "mlp", "architecture: "+strings.Join(models, ", ")+" (mlp-paddle = mlp; gozoo summary -arch NAME shows one)")
	fs.StringVar(&f.dataset, "dataset", "", "dataset to train on: "+datasetsHelp(presets)+"; default the model's first")
	fs.IntVar(&f.epochs, "epochs", 10, "number of epochs to train up to (with -resume: the total, counting epochs already done)")
	fs.IntVar(&f.batch, "batch", 64, "mini-batch size")
	fs.Float64Var(&f.lr, "lr", 0.001, "learning rate")
	fs.StringVar(&f.optimizer, "optimizer", "adam", "optimizer: "+strings.Join(optim.KindNames(), ", "))
	fs.Float64Var(&f.weightDecay, "weight-decay", 0, "weight decay (L2; decoupled for adamw)")
	fs.Float64Var(&f.clipNorm, "clip-norm", 0, "clip gradients to this global L2 norm (0: off)")
	fs.Uint64Var(&f.seed, "seed", 1, "seed for initial weights, shuffling, dropout and the CSV split")
	fs.StringVar(&f.data, "data", "", "data folder (MNIST: default the copy in the Go module cache; Fashion-MNIST: default /usr/share/datasets/fashion-mnist, then what gozoo download fashion-mnist fetched; CIFAR-10: required)")
	fs.StringVar(&f.out, "out", "", "folder for the checkpoint (after each epoch), the final model and the history (with -resume: default the checkpoint's folder)")
	fs.StringVar(&f.resume, "resume", "", "continue from a checkpoint: a -out folder (its most advanced checkpoint) or a .safetensors checkpoint file")
	fs.BoolVar(&f.overwrite, "overwrite", false, "let a new run replace the run an -out folder already holds")
	fs.IntVar(&f.keep, "keep", experiment.DefaultKeepCheckpoints, "epoch checkpoints to keep in -out (checkpoint.safetensors and checkpoint-EPOCH.safetensors before it), for -resume to fall back on")
	fs.BoolVar(&f.json, "json", false, "print one JSON object per epoch on stdout")
	fs.BoolVar(&f.quiet, "quiet", false, "print no progress on stderr")
	r := zoo.TabularRecipe()
	fs.StringVar(&f.csv, "csv", "", fmt.Sprintf("train a tabular MLP on a CSV file (header row; or a built-in table: %s); unset flags then default to -epochs %d -batch %d -optimizer %s -weight-decay %v -val-split %v -early-stop %d",
		strings.Join(csvdata.BuiltinNames(), ", "), r.Epochs, r.BatchSize, r.Optimizer, r.WeightDecay, r.ValSplit, r.EarlyStop))
	fs.StringVar(&f.target, "target", "", "with -csv: the target column (default: the last)")
	fs.StringVar(&f.task, "task", "auto", "with -csv: classify, regress or auto")
	fs.Float64Var(&f.split, "split", 0.2, "with -csv: fraction of rows held out for testing (stratified for classification)")
	fs.Float64Var(&f.valSplit, "val-split", 0, "with -csv: fraction of the training rows held out for validation (early stopping, schedules); 0: validate on the test split")
	fs.StringVar(&f.hidden, "hidden", "64,32", "with -csv: hidden layer widths (regression default: 16)")
	fs.IntVar(&f.earlyStop, "early-stop", 0, "stop after this many epochs without improvement of -monitor and restore the best weights (0: off)")
	fs.StringVar(&f.monitor, "monitor", "val_loss", "metric for -early-stop and -schedule plateau: val_loss, val_accuracy, train_loss, train_accuracy")
	fs.StringVar(&f.schedule, "schedule", "", "learning-rate schedule: step, exp, cosine (per step, with -warmup), plateau or none (default: the preset's, cosine; none for -csv)")
	fs.IntVar(&f.warmup, "warmup", 0, "with -schedule cosine: epochs of linear warm-up")
	fs.IntVar(&f.stepSize, "step-size", 0, "with -schedule step: epochs between decays (default: a third of -epochs)")
	fs.Float64Var(&f.gamma, "gamma", 0, "decay factor: step 0.1, exp 0.9 per epoch, plateau 0.1 (default)")
}

// datasetsHelp says which datasets each preset trains on, presets that
// take the same ones together: "mnist or fashion-mnist (mlp, lenet5), ...".
func datasetsHelp(presets []zoo.Preset) string {
	var groups []string
	names := map[string][]string{}
	for _, p := range presets {
		key := strings.Join(p.DatasetNames(), " or ")
		if names[key] == nil {
			groups = append(groups, key)
		}
		names[key] = append(names[key], p.Name)
	}
	parts := make([]string, len(groups))
	for i, key := range groups {
		parts[i] = key + " (" + strings.Join(names[key], ", ") + ")"
	}
	return strings.Join(parts, ", ")
}

func runTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f trainFlags
	fs := newFlagSet("train", stderr)
	f.register(fs)
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if err := f.checkCombinations(fs); err != nil {
		return err
	}
	e, err := f.experiment(fs)
	if err != nil {
		return flagError(err)
	}
	defer e.Close()
	for _, sk := range e.Skipped {
		fmt.Fprintf(stderr, "gozoo train: skipping %s: %v\n", sk.Path, sk.Err)
	}
	if len(e.Skipped) > 0 {
		fmt.Fprintf(stderr, "gozoo train: resuming from %s\n", e.ResumedFrom)
	}
	opts := experiment.FitOptions{}
	if !f.quiet {
		opts.Progress, opts.Terminal = stderr, isTerminal(stderr)
	}
	if f.json {
		enc := json.NewEncoder(stdout)
		opts.OnEpoch = func(r experiment.EpochReport) error { return enc.Encode(r) }
	}
	res, err := e.Fit(ctx, opts)
	var ie *experiment.InterruptedError
	if errors.As(err, &ie) {
		return &exitError{code: 130, err: interruptMessage(ie)}
	}
	var re *experiment.RunExistsError
	if errors.As(err, &re) {
		return fmt.Errorf("-out %s already holds a run (%s): continue it with -resume %s, or replace it with -overwrite",
			re.Dir, strings.Join(re.Files, ", "), re.Dir)
	}
	if err != nil {
		return err
	}
	if res.ModelPath != "" {
		fmt.Fprintf(stderr, "model written to %s\n", res.ModelPath)
	}
	if !f.json {
		fmt.Fprintln(stdout, res.Test)
	}
	return nil
}

// interruptMessage says what an interrupt saved and the command that
// continues the run, which works as printed once N is the epochs wanted.
func interruptMessage(ie *experiment.InterruptedError) error {
	advice := fmt.Sprintf("continue with: gozoo train -resume %s -epochs N", ie.Path)
	switch {
	case ie.SaveErr != nil:
		return fmt.Errorf("interrupted; saving a checkpoint failed: %w", ie.SaveErr)
	case ie.Path == "":
		return fmt.Errorf("interrupted before the first step; nothing to save")
	case !ie.Written:
		return fmt.Errorf("interrupted before any new step; %s is unchanged (%s)", ie.Path, advice)
	}
	return fmt.Errorf("interrupted %s; checkpoint written to %s (%s)", ie.Where(), ie.Path, advice)
}

// checkCombinations rejects flags that do not apply together.
func (f *trainFlags) checkCombinations(fs *flagSet) error {
	if f.csv == "" && f.resume == "" {
		for _, name := range []string{"target", "task", "split", "val-split", "hidden"} {
			if fs.isSet(name) {
				return fmt.Errorf("-%s applies to -csv training only", name)
			}
		}
	}
	if f.csv != "" && fs.isSet("data") {
		return fmt.Errorf("-data does not apply to -csv training: -csv names the file")
	}
	if f.csv != "" && fs.isSet("dataset") {
		return fmt.Errorf("-dataset does not apply to -csv training: -csv names the data")
	}
	if f.csv != "" && fs.isSet("model") {
		return fmt.Errorf("-model does not apply to -csv training: the model is an MLP sized by the table (see -hidden)")
	}
	if f.resume != "" && fs.isSet("overwrite") {
		return fmt.Errorf("-overwrite does not apply to -resume: a resumed run continues the run it resumes")
	}
	if f.resume != "" {
		for _, name := range []string{"model", "dataset", "optimizer", "lr", "weight-decay", "csv", "target", "task", "split", "val-split", "hidden", "seed"} {
			if fs.isSet(name) {
				return fmt.Errorf("-%s cannot be combined with -resume: the checkpoint fixes it", name)
			}
		}
	}
	return nil
}

// experiment builds the run: the recipe's settings, with every flag the
// user gave applied on top.
func (f *trainFlags) experiment(fs *flagSet) (*experiment.Experiment, error) {
	monitor, err := recipes.ParseMetric(f.monitor)
	if err != nil {
		return nil, fmt.Errorf("-monitor: %w", err)
	}
	// Flags a resumed run may change; the checkpoint fixes the rest.
	set := fs.ifSet
	common := func(s *experiment.Settings) {
		set("batch", func() { s.BatchSize = f.batch })
		set("clip-norm", func() { s.ClipNorm = f.clipNorm })
		set("schedule", func() { s.Schedule.Kind = f.schedule })
		set("warmup", func() { s.Schedule.Warmup = f.warmup })
		set("step-size", func() { s.Schedule.StepSize = f.stepSize })
		set("gamma", func() { s.Schedule.Gamma = f.gamma })
		set("early-stop", func() { s.EarlyStop = f.earlyStop })
		set("monitor", func() { s.Monitor = monitor })
		set("data", func() { s.DataDir = f.data })
		set("out", func() { s.Out = f.out })
		set("keep", func() { s.KeepCheckpoints = f.keep })
	}
	if f.resume != "" {
		return experiment.Resume(f.resume, f.epochs, common)
	}
	var s experiment.Settings
	if f.csv != "" {
		s = experiment.TableSettings(f.csv)
		s.Table.Target, s.Table.Task, s.Table.Split = f.target, f.task, f.split
		if fs.isSet("val-split") {
			s.Table.ValSplit = f.valSplit
		}
		if fs.isSet("hidden") {
			if s.Hidden, err = parseWidths(f.hidden); err != nil {
				return nil, err
			}
		}
	} else if s, err = experiment.PresetSettings(f.model); err != nil {
		return nil, err
	}
	set("dataset", func() { s.Dataset = f.dataset })
	set("epochs", func() { s.Epochs = f.epochs })
	set("lr", func() { s.LearningRate = f.lr })
	set("optimizer", func() { s.Optimizer = f.optimizer })
	set("weight-decay", func() { s.WeightDecay = f.weightDecay })
	set("seed", func() { s.Seed = f.seed })
	s.Overwrite = f.overwrite
	common(&s)
	return experiment.New(s)
}

// flagError names the flag of a setting the library rejected.
func flagError(err error) error {
	var se *experiment.SettingError
	if errors.As(err, &se) {
		return fmt.Errorf("-%s %s", se.Setting, se.Problem)
	}
	return err
}

// parseWidths reads -hidden: comma-separated positive widths, or "" for
// none.
func parseWidths(s string) ([]int, error) {
	widths := []int{}
	if strings.TrimSpace(s) == "" {
		return widths, nil
	}
	for _, part := range strings.Split(s, ",") {
		var w int
		if _, err := fmt.Sscanf(strings.TrimSpace(part), "%d", &w); err != nil || w <= 0 || w > 1<<16 {
			return nil, fmt.Errorf("-hidden wants comma-separated positive widths, got %q", s)
		}
		widths = append(widths, w)
	}
	return widths, nil
}

// isTerminal reports whether w is a character device such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
