// Package onnx provides ONNX export of gozoo models and import of ONNX
// models whose nodes form a graph of layers, such as PyTorch's
// torch.nn.Sequential or torchvision's ResNets exported with
// torch.onnx.export.
//
// Export writes any model that is a sequence of nn's layers (every built-in
// model, and any *nn.Sequential) or a graph of them (*nn.GraphModel, such
// as zoo/resnet's) as an ONNX graph of IR version 7 and opset 13, with the
// model card in metadata_props; ONNX Runtime, OpenCV's dnn module, TensorRT
// and the like run it. Import turns a graph of Gemm, MatMul+Add, Conv,
// pooling, BatchNormalization, activation, Flatten, Reshape, Add, Sum and
// Concat nodes back into a gozoo model and a model card, which zoo.Save
// writes as a gozoo model file: an *nn.Sequential when the nodes form a
// chain, an *nn.GraphModel when they branch and merge.
//
//	f, _ := os.Open("resnet18.onnx")
//	model, card, err := onnx.Import(f, onnx.ImportOptions{})
//	...
//	err = zoo.Save("model.safetensors", model, card)
//
// The protobuf layer is a small codec over protowire for the messages
// gozoo needs (docs/interop.md says why). Import reads at most
// Limits.MaxBytes, caps every list in the file (nodes, attributes, tensor
// rank) while decoding, refuses a graph of more than nn.MaxLayers layer
// nodes before building anything per node, and checks each tensor's shape
// against its data before allocating it, so no input makes it panic or
// allocate much more than the file's size.
package onnx
