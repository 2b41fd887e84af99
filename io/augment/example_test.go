package augment_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/gozoo/gozoo/io/augment"
	"github.com/gozoo/gozoo/io/mnist"
)

func Example() {
	// One 3x3 grey image; real code wraps a CIFAR-10 or MNIST training set.
	pixels := []uint8{
		255, 0, 0,
		255, 255, 0,
		255, 255, 255,
	}
	flat, err := mnist.New(pixels, []uint8{7}, 3, 3)
	if err != nil {
		fmt.Println(err)
		return
	}
	images, err := flat.WithShape([]int{1, 3, 3}) // channels, height, width
	if err != nil {
		fmt.Println(err)
		return
	}
	rng := rand.New(rand.NewPCG(1, 2))
	train, err := augment.Wrap(images, rng, augment.HorizontalFlip{P: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	img := make([]float32, 9)
	train.Input(0, img)
	fmt.Println(train.InputShape(), train.Label(0), img)

	_, err = augment.Wrap(images, rng, augment.RandomCrop{Padding: -2})
	fmt.Println(err)
	// Output:
	// [1 3 3] 7 [0 0 1 0 1 1 1 1 1]
	// augment: invalid setting: RandomCrop padding -2: want 0 or more (step 0)
}
