package cifar10_test

import (
	"bytes"
	"fmt"

	"github.com/gozoo/gozoo/io/cifar10"
)

func Example() {
	// Write two synthetic images in the CIFAR-10 binary format and read them
	// back; real code would call cifar10.Load(dir).
	images := make([]uint8, 2*cifar10.ImageBytes)
	images[0] = 255                      // image 0: top-left red pixel
	images[cifar10.ImageBytes+1024] = 51 // image 1: top-left green pixel
	var file bytes.Buffer
	if err := cifar10.Write(&file, images, []uint8{3, 8}); err != nil {
		fmt.Println(err)
		return
	}
	ds, err := cifar10.Read(&file, int64(file.Len()))
	if err != nil {
		fmt.Println(err)
		return
	}
	in := make([]float32, cifar10.ImageBytes)
	ds.Input(1, in)
	fmt.Println(ds.Len(), ds.InputShape(), cifar10.ClassNames()[ds.Label(1)], in[1024])

	norm, err := ds.WithNormalization([3]float32{0.5, 0.5, 0.5}, [3]float32{0.5, 0.5, 0.5})
	if err != nil {
		fmt.Println(err)
		return
	}
	norm.Input(0, in)
	fmt.Println(in[0], in[1], in[1024])

	_, err = cifar10.Read(bytes.NewReader(make([]byte, 100)), 100)
	fmt.Println(err)
	// Output:
	// 2 [3 32 32] ship 0.2
	// 1 -1 -1
	// cifar10: malformed file: size 100 bytes is not a positive multiple of the 3073-byte record
}
