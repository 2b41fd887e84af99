// Command prune is docs/recipes/prune.md: it prunes a trained model to a
// sparsity with gradual fine-tuning and saves it, zeros in the file.
//
//	go run ./examples/prune -model run/model.safetensors -sparsity 0.9 -out pruned
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/gozoo/gozoo/io/loader"
	"github.com/gozoo/gozoo/recipes/prune"
	"github.com/gozoo/gozoo/zoo"
)

func main() {
	modelPath := flag.String("model", "run/model.safetensors", "trained model file (with its card)")
	sparsity := flag.Float64("sparsity", 0.9, "fraction of Dense and Conv2D weights to zero")
	epochs := flag.Int("epochs", 10, "epochs of fine-tuning")
	limit := flag.Int("limit", 0, "fine-tune on the first N training images (0: all)")
	out := flag.String("out", "pruned", "folder for the pruned model.safetensors")
	flag.Parse()
	log.SetFlags(0)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	m, card, err := zoo.Load(*modelPath) // the model and how to feed it
	if err != nil {
		log.Fatal(err)
	}
	data, err := card.Data("") // the data it was trained on
	if err != nil {
		log.Fatal(err)
	}
	if *limit > 0 { // a quick run on the first images
		if data.Train, _, err = loader.Split(data.Train, *limit, nil); err != nil {
			log.Fatal(err)
		}
	}
	s := prune.Settings{Sparsity: *sparsity, Global: true, Epochs: *epochs, Progress: os.Stderr}
	rep, err := prune.Prune(ctx, m, card, data, s)
	if err != nil {
		log.Fatal(err)
	}
	for _, l := range rep.Layers {
		fmt.Printf("%-14s %6d of %6d weights zero\n", l.Param, l.Zeros, l.Size)
	}
	fmt.Printf("sparsity %.3f: test accuracy %.4f -> %.4f\n", rep.Sparsity, rep.AccuracyBefore, rep.AccuracyAfter)
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	if err := zoo.Save(filepath.Join(*out, "model.safetensors"), m, card); err != nil { // masks recorded too
		log.Fatal(err)
	}
}
