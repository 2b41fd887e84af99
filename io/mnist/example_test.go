package mnist_test

import (
	"fmt"

	"github.com/gozoo/gozoo/io/mnist"
)

func Example() {
	// Two 2x2 images; real code would call mnist.Load(dir) with the folder
	// from mnist.DefaultDir or a -data flag.
	pixels := []uint8{
		0, 255, 51, 0, // a 3
		102, 0, 0, 255, // a 9
	}
	ds, err := mnist.New(pixels, []uint8{3, 9}, 2, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	in := make([]float32, 4)
	ds.Input(0, in)
	fmt.Println(ds.Len(), ds.InputShape(), ds.Label(0), in)

	cnn, err := ds.WithShape([]int{1, 2, 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cnn.InputShape(), cnn.Label(1), cnn.Image(1))

	_, err = mnist.New(pixels, []uint8{3, 12}, 2, 2)
	fmt.Println(err)
	// Output:
	// 2 [4] 3 [0 1 0.2 0]
	// [1 2 2] 9 [102 0 0 255]
	// mnist: label 12 of sample 1 is not a digit 0-9
}
