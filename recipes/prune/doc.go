// Package prune removes the smallest weights of a trained model (magnitude
// pruning, per layer or with one global threshold) and fine-tunes the rest,
// raising the sparsity gradually along the cubic schedule of Zhu and Gupta
// (2017), "To prune, or not to prune". Pruned weights are masked
// (nn.Param.Mask): training keeps them at zero, and model files record the
// mask, so they stay zero after a load, a checkpoint and further training.
// The file is plain safetensors with the zeros in it.
//
//	m, card, err := zoo.Load("run/model.safetensors")
//	data, err := card.Data("")
//	rep, err := prune.Prune(ctx, m, card, data, prune.Settings{Sparsity: 0.9, Epochs: 2})
//	err = zoo.Save("pruned/model.safetensors", m, card)
package prune
