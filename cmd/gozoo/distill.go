package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/gozoo/gozoo/recipes/distill"
)

func runDistill(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("distill", stderr)
	teacherPath := fs.String("teacher", "", "the teacher's model file (with a card)")
	arch := fs.String("student", "", "the student: a preset (mlp, lenet5, ...), an MLP shape such as mlp:784-32-10, or a model file")
	temperature := fs.Float64("temperature", 4, "softmax temperature of the soft targets")
	alpha := fs.Float64("alpha", 0.9, "weight of the soft targets' KL term against the hard labels' cross-entropy, in (0, 1]")
	epochs := fs.Int("epochs", 30, "epochs (a small student gains from the teacher only when trained long enough to overfit alone)")
	batch := fs.Int("batch", 64, "batch size")
	lr := fs.Float64("lr", 1e-3, "learning rate (Adam, decayed by a cosine to 0)")
	seed := fs.Uint64("seed", 1, "seed for the student's initial weights and the shuffling")
	dataDir := fs.String("data", "", "data folder (default: as for gozoo train)")
	baseline := fs.Bool("baseline", false, "also train the same student on the hard labels alone, same seed and epochs, and report both")
	out := fs.String("out", "", "folder for the student's model.safetensors")
	asJSON := fs.Bool("json", false, "print the report as one JSON object")
	quiet := fs.Bool("quiet", false, "print no progress on stderr")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	switch {
	case *teacherPath == "":
		return fmt.Errorf("-teacher FILE is required")
	case *arch == "":
		return fmt.Errorf("-student ARCH|FILE is required")
	case *out == "":
		return fmt.Errorf("-out DIR is required")
	case !(*temperature > 0):
		return fmt.Errorf("-temperature must be positive, got %v", *temperature)
	case !(*alpha > 0 && *alpha <= 1):
		return fmt.Errorf("-alpha must be in (0, 1], got %v", *alpha)
	case *epochs <= 0 || *epochs > 10000:
		return fmt.Errorf("-epochs must be between 1 and 10000, got %d", *epochs)
	case *batch <= 0 || *batch > 65536:
		return fmt.Errorf("-batch must be between 1 and 65536, got %d", *batch)
	case !(*lr > 0):
		return fmt.Errorf("-lr must be a positive number, got %v", *lr)
	}
	teacher, tcard, err := loadWithCard(*teacherPath)
	if err != nil {
		return err
	}
	student, scard, err := distill.Student(*arch, tcard, *dataDir, *seed)
	if err != nil {
		return err
	}
	s := distill.Settings{Temperature: *temperature, Alpha: *alpha, Epochs: *epochs, BatchSize: *batch, LearningRate: *lr, Seed: *seed, DataDir: *dataDir}
	if !*quiet {
		s.Progress = stderr
	}
	rep, err := distill.Distill(ctx, teacher, tcard, student, scard, s)
	if err != nil {
		return err
	}
	if _, err := saveInto(*out, student, scard, stderr); err != nil {
		return err
	}
	result := struct {
		*distill.Report
		AloneAccuracy *float64 `json:"alone_accuracy,omitempty"`
	}{Report: rep}
	if *baseline {
		alone, acard, err := distill.Student(*arch, tcard, *dataDir, *seed)
		if err != nil {
			return err
		}
		a, err := distill.TrainAlone(ctx, alone, acard, s)
		if err != nil {
			return err
		}
		result.AloneAccuracy = &a.StudentAccuracy
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(result)
	}
	fmt.Fprintf(stdout, "student test accuracy %.4f (teacher %.4f; T=%v, alpha=%v, %d epochs)\n", rep.StudentAccuracy, rep.TeacherAccuracy, rep.Temperature, rep.Alpha, rep.Epochs)
	if result.AloneAccuracy != nil {
		fmt.Fprintf(stdout, "the same student on hard labels alone: %.4f\n", *result.AloneAccuracy)
	}
	return nil
}
