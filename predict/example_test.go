package predict_test

import (
	"context"
	"fmt"
	"image"
	"math/rand/v2"

	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/predict"
	"github.com/gozoo/gozoo/zoo/cnn"
)

// A predictor over a model and its card classifies images of any size.
// (Load does the same from a model file.)
func Example() {
	model, _ := cnn.NewLeNet5(cnn.LeNet5Config{}, rand.New(rand.NewPCG(1, 0))) // untrained
	p, err := predict.New(model, modelcard.MNIST([]int{1, 28, 28}), predict.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()
	img := image.NewGray(image.Rect(0, 0, 100, 60)) // resized to 28x28
	c, err := p.Classify(context.Background(), img, predict.ClassifyOptions{TopK: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(c.Probabilities), len(c.Top), c.ClassName == c.Top[0].Name)
	logits, _ := p.Predict(context.Background(), make([]float32, 5*p.InputSize())) // 5 rows at once
	fmt.Println(len(logits))
	// Output:
	// 10 2 true
	// 50
}
