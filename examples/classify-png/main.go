// Command classify-png loads a model written by gozoo train -out and
// classifies PNG or JPEG images as gozoo predict -json does
// (docs/recipes/classify-images.md).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"

	"github.com/gozoo/gozoo/io/imagein"
	"github.com/gozoo/gozoo/predict"
)

func main() {
	log.SetFlags(0)
	if len(os.Args) < 3 {
		log.Fatal("usage: classify-png MODEL IMAGE...")
	}
	p, err := predict.Load(os.Args[1]) // the model, and its card: how to feed it
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	for _, path := range os.Args[2:] {
		img, err := imagein.ReadFile(path)
		if err != nil {
			log.Fatal(err)
		}
		c, err := p.Classify(context.Background(), img, predict.ClassifyOptions{TopK: 3})
		if err != nil {
			log.Fatal(err)
		}
		line, _ := json.Marshal(map[string]any{"file": path, "class": c.Class, "class_name": c.ClassName, "probabilities": c.Probabilities, "top3": c.Top})
		fmt.Println(string(line))
	}
}
