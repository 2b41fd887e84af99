package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/gozoo/gozoo/io/modelfile"
	"github.com/gozoo/gozoo/recipes/prune"
	"github.com/gozoo/gozoo/zoo"
)

func runPrune(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("prune", stderr)
	modelPath := fs.String("model", "", "model file to prune (written by gozoo train or zoo.Save, with a card)")
	sparsity := fs.Float64("sparsity", 0.9, "fraction of the Dense and Conv2D weights to set to zero, in [0, 1)")
	epochs := fs.Int("epochs", 10, "epochs of fine-tuning: the sparsity rises along the cubic schedule over the first two thirds (0: prune at once)")
	global := fs.Bool("global", false, "rank all layers' weights together (one threshold, which prunes large layers more and the classifier less) instead of each layer on its own")
	dataDir := fs.String("data", "", "data folder (default: as for gozoo train)")
	batch := fs.Int("batch", 64, "fine-tuning batch size")
	lr := fs.Float64("lr", 1e-3, "fine-tuning learning rate (Adam, decayed by a cosine to 0)")
	seed := fs.Uint64("seed", 1, "seed for the fine-tuning's shuffling")
	out := fs.String("out", "", "folder for the pruned model.safetensors")
	asJSON := fs.Bool("json", false, "print the report as one JSON object")
	quiet := fs.Bool("quiet", false, "print no progress on stderr")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	switch {
	case *modelPath == "":
		return fmt.Errorf("-model FILE is required")
	case *out == "":
		return fmt.Errorf("-out DIR is required")
	case !(*sparsity >= 0 && *sparsity < 1):
		return fmt.Errorf("-sparsity must be in [0, 1), got %v", *sparsity)
	case *epochs < 0 || *epochs > 10000:
		return fmt.Errorf("-epochs must be between 0 and 10000, got %d", *epochs)
	case *batch <= 0 || *batch > 65536:
		return fmt.Errorf("-batch must be between 1 and 65536, got %d", *batch)
	case !(*lr > 0):
		return fmt.Errorf("-lr must be a positive number, got %v", *lr)
	}
	if err := refuseQuantized(*modelPath, "prune"); err != nil {
		return err
	}
	m, card, err := loadWithCard(*modelPath)
	if err != nil {
		return err
	}
	data, err := card.Data(*dataDir)
	if err != nil {
		return err
	}
	s := prune.Settings{Sparsity: *sparsity, Global: *global, Epochs: *epochs, BatchSize: *batch, LearningRate: *lr, Seed: *seed}
	if !*quiet {
		s.Progress = stderr
	}
	rep, err := prune.Prune(ctx, m, card, data, s)
	if err != nil {
		return err
	}
	if _, err := saveInto(*out, m, card, stderr); err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(rep)
	}
	fmt.Fprintf(stdout, "sparsity %.2f%% of %s weights: test accuracy %.4f -> %.4f\n", 100*rep.Sparsity, scope(*global), rep.AccuracyBefore, rep.AccuracyAfter)
	for _, l := range rep.Layers {
		fmt.Fprintf(stdout, "  %-16s %7d of %7d zero (%.1f%%)\n", l.Param, l.Zeros, l.Size, 100*float64(l.Zeros)/float64(l.Size))
	}
	return nil
}

func scope(global bool) string {
	if global {
		return "all (global threshold)"
	}
	return "each layer's"
}

// refuseQuantized stops a command that needs float32 weights from reading
// an int8 file: pruning or quantizing its dequantized weights would lose
// precision without saying so.
func refuseQuantized(path, command string) error {
	f, err := modelfile.ReadFile(path)
	if err != nil {
		return err
	}
	if _, ok := f.Metadata[zoo.KeyQuantization]; ok {
		return fmt.Errorf("%s holds int8 (quantized) weights; %s takes the float32 model it was made from", path, command)
	}
	return nil
}
