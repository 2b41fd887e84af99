// Command distill is docs/recipes/distill.md: it trains a small student MLP
// from a teacher model's softened outputs, and the same student on the hard
// labels alone for comparison.
//
//	go run ./examples/distill -teacher lenet/model.safetensors -student mlp:784-32-10 -out student
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/gozoo/gozoo/recipes/distill"
	"github.com/gozoo/gozoo/zoo"
)

func main() {
	teacherPath := flag.String("teacher", "lenet/model.safetensors", "the teacher's model file")
	arch := flag.String("student", "mlp:784-32-10", "the student: a preset or an MLP shape")
	epochs := flag.Int("epochs", 30, "epochs")
	limit := flag.Int("limit", 0, "train on the first N images (0: all)")
	seed := flag.Uint64("seed", 1, "seed for the student's weights and the shuffling")
	out := flag.String("out", "student", "folder for the student's model.safetensors")
	flag.Parse()
	log.SetFlags(0)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	teacher, tcard, err := zoo.Load(*teacherPath)
	if err != nil {
		log.Fatal(err)
	}
	s := distill.Settings{Temperature: 4, Alpha: 0.9, Epochs: *epochs, Seed: *seed, Limit: *limit}
	student, scard, err := distill.Student(*arch, tcard, "", *seed)
	if err != nil {
		log.Fatal(err)
	}
	rep, err := distill.Distill(ctx, teacher, tcard, student, scard, s)
	if err != nil {
		log.Fatal(err)
	}
	alone, acard, err := distill.Student(*arch, tcard, "", *seed) // the same student, trained alone
	if err != nil {
		log.Fatal(err)
	}
	base, err := distill.TrainAlone(ctx, alone, acard, s)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("teacher %.4f, distilled student %.4f, student alone %.4f\n", rep.TeacherAccuracy, rep.StudentAccuracy, base.StudentAccuracy)
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	if err := zoo.Save(filepath.Join(*out, "model.safetensors"), student, scard); err != nil {
		log.Fatal(err)
	}
}
