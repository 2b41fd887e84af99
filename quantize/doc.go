// Package quantize writes post-training int8 model files: the weights of
// every Dense and Conv2D layer are quantized symmetrically per output
// channel (scale = max|w| / 127 over the channel, q = round(w / scale)), and
// stored as safetensors I8 tensors beside their float32 scales; biases and
// BatchNorm parameters stay float32. The file is a quarter of the float32
// size, still valid safetensors, and loads anywhere a model file does:
// zoo.Load dequantizes the weights (q * scale) at load, so inference then
// computes in float32 on the dequantized weights, at float32 speed. Nothing
// is calibrated: activations are not quantized.
//
//	m, card, err := zoo.Load("run/model.safetensors")
//	rep, err := quantize.Save("run/model-int8.safetensors", m, card)
package quantize
