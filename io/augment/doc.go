// Package augment provides seeded image augmentation for training: a
// dataset wrapper that transforms each image as it is read.
//
// Images are float32 in channels x height x width order (the InputShape of
// cifar10.Dataset, or of mnist.Dataset after WithShape([]int{1, 28, 28})).
// Every random choice is drawn from the *rand.Rand the caller passes, so the
// same seed and the same sequence of Input calls give the same images:
//
//	rng := rand.New(rand.NewPCG(seed, 0))
//	train, err := augment.Wrap(cifarTrain, rng,
//		augment.RandomCrop{Padding: 4}, augment.HorizontalFlip{})
//	if err != nil { ... }
//
// Wrap only the training set; evaluate on the plain dataset.
package augment
