package modelcard_test

import (
	"fmt"

	"github.com/gozoo/gozoo/modelcard"
)

// A card says how a PNG becomes the model's input and what the outputs are.
func ExampleCard_ImageLayout() {
	card := modelcard.MNIST([]int{784})
	layout, err := card.ImageLayout()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(layout.Channels, layout.Height, layout.Width, layout.AutoInvert, card.ClassName(7))
	// Output: 1 28 28 true 7
}

// A table's card holds the standardiser fitted on its training rows.
func ExampleTable() {
	card, err := modelcard.Table(modelcard.TableSource{CSV: "iris", Split: 0.2, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	row, _ := card.Row([]float64{5.1, 3.5, 1.4, 0.2})
	fmt.Println(card.Task, card.Features, card.ClassNames, len(row))
	// Output: classify [sepal length (cm) sepal width (cm) petal length (cm) petal width (cm)] [setosa versicolor virginica] 4
}
