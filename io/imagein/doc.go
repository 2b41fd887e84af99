// Package imagein turns PNG and JPEG images into model inputs: decoding with
// a guard on the image size, transparent pixels composited over white, grey
// (ITU-R 601 luma) or RGB planes in [0, 1], resizing (area averaging to
// shrink, bilinear to enlarge), optional inversion of the grey levels and
// per-channel normalisation. It is what gozoo predict and the model server
// apply, so a Go program that uses it feeds a model exactly as they do.
//
//	img, err := imagein.ReadFile("digit.png")
//	layout := imagein.Layout{Channels: 1, Height: 28, Width: 28, Mean: []float32{0}, Std: []float32{1}, AutoInvert: true}
//	x := layout.Input(img, imagein.InvertAuto) // 784 float32s, ready for a model
package imagein
