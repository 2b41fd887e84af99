// Package resnet provides residual networks built with nn's graph builder:
// the CIFAR-style ResNets of He et al. 2015 (ResNet-20 and its 6n+2
// siblings) and BasicBlock, torchvision's residual block, for users' own
// networks. The models are ordinary *nn.GraphModel values: they save, load,
// train, serve and export like any graph model.
//
//	model, err := resnet.New(resnet.ResNet20([3]int{1, 28, 28}, 10), rng)
package resnet
