// Package modelcard describes how to feed a model: its task, input shape,
// the dataset it was trained on, how raw data becomes its input (per-channel
// normalisation of images; the feature names and standardiser of a table)
// and how to read its outputs (class names; the scale of a regression
// target). A model file carries its card (zoo.Save writes it, zoo.Load
// returns it), so eval, predict, the model server and a user's own program
// all prepare data the same way.
//
//	card := modelcard.MNIST([]int{784})      // pixels/255, class names "0".."9"
//	// modelcard.FashionMNIST(shape): the same scaling, "T-shirt/top".."Ankle boot"
//	layout, err := card.ImageLayout()        // how to turn a PNG into the model's input
//	data, err := card.Data("")               // the train and test sets the card names
//
// A card is plain data (JSON in the model file's metadata, under the key
// "input"); nothing in it can run code.
package modelcard
