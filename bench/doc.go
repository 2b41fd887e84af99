// Package bench provides gozoo's performance measurement: how fast a
// preset model trains, how fast it classifies in batches, and how long one
// image takes, together with what the figures depend on (Go version,
// GOMAXPROCS, CPU and its vector extensions, BLAS and matrix kernel). It is
// what gozoo bench prints, and what scripts/bench_peers.sh sets beside
// PyTorch.
//
//	rep, err := bench.Run(ctx, bench.Options{Model: "lenet5"})
//	if err != nil { ... }
//	fmt.Print(rep) // or json.Marshal(rep)
//
// Training runs Options.Steps optimizer steps (Adam 1e-3, softmax
// cross-entropy, through recipes.Trainer.TrainOnBatch) on batches of the
// real MNIST training images for the MNIST presets: the share of zero
// pixels changes the speed of some kernels, so random pixels would
// mislead. The CIFAR-10 preset (cifar-vgg) runs on synthetic random images
// of its input shape instead, so that no download is needed; the report
// says which (Report.Data). Inference then runs the trained model through
// a predict.Predictor: batches of Options.InferBatch test images, and
// single images one call at a time for the latency.
//
// The figures are only as good as the machine is quiet: compare two
// builds, or gozoo and a peer, side by side in one run.
package bench
