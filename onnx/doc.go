// Package onnx provides ONNX export of gozoo models and import of ONNX
// models that are chains of layers, such as PyTorch's torch.nn.Sequential
// exported with torch.onnx.export.
//
// Export writes any model that is a sequence of nn's layers (every built-in
// model, and any *nn.Sequential) as an ONNX graph of IR version 7 and opset
// 13, with the model card in metadata_props; ONNX Runtime, OpenCV's dnn
// module, TensorRT and the like run it. Import turns a chain of Gemm,
// MatMul+Add, Conv, pooling, BatchNormalization, activation, Flatten and
// Reshape nodes back into an *nn.Sequential and a model card, which
// zoo.Save writes as a gozoo model file.
//
//	f, _ := os.Open("model.onnx")
//	model, card, err := onnx.Import(f, onnx.ImportOptions{})
//	...
//	err = zoo.Save("model.safetensors", model, card)
//
// The protobuf layer is a small codec over protowire for the messages
// gozoo needs (docs/interop.md says why). Import reads at most
// Limits.MaxBytes, caps every list in the file (nodes, attributes, tensor
// rank) while decoding, and checks each tensor's shape against its data
// before allocating it, so no input makes it panic or allocate much more
// than the file's size.
package onnx
