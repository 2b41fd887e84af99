// Command quantize is docs/recipes/quantize.md: it writes a trained model
// with int8 weights and compares the two on the test set.
//
//	go run ./examples/quantize -model run/model.safetensors -out int8
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/gozoo/gozoo/quantize"
	"github.com/gozoo/gozoo/recipes"
	"github.com/gozoo/gozoo/zoo"
)

func main() {
	modelPath := flag.String("model", "run/model.safetensors", "trained float32 model file (with its card)")
	out := flag.String("out", "int8", "folder for the int8 model.safetensors")
	flag.Parse()
	log.SetFlags(0)

	m, card, err := zoo.Load(*modelPath)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	path := filepath.Join(*out, "model.safetensors")
	rep, err := quantize.Save(path, m, card)
	if err != nil {
		log.Fatal(err)
	}
	q, _, err := zoo.Load(path) // dequantized at load: eval, predict and serve take it as is
	if err != nil {
		log.Fatal(err)
	}
	data, err := card.Data("")
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	for _, v := range []struct {
		name  string
		model zoo.Model
	}{{"float32", m}, {"int8", q}} {
		ev, err := recipes.Evaluate(ctx, v.model, recipes.LossFor(card), data.Test, 256)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%-7s test accuracy %.4f\n", v.name, ev.Accuracy)
	}
	fmt.Printf("tensor data: %d bytes int8, %d float32 (%.2fx)\n", rep.Int8Bytes, rep.FloatBytes, float64(rep.Int8Bytes)/float64(rep.FloatBytes))
}
