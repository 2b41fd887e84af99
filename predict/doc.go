// Package predict runs a trained model for inference, with no trainer and
// no optimizer: batches of any size to outputs and probabilities, and images
// to their top classes with names, preprocessed exactly as gozoo predict
// does (package imagein, driven by the model card). A Predictor is safe for
// concurrent use from many goroutines, such as the handlers of a server.
//
//	p, err := predict.Load("run/model.safetensors")
//	defer p.Close()
//	img, err := imagein.ReadFile("seven.png")
//	c, err := p.Classify(ctx, img, predict.ClassifyOptions{TopK: 3})
//	fmt.Println(c.ClassName, c.Top[0].P)
package predict
