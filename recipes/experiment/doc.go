// Package experiment is a whole training run as gozoo train describes it:
// a preset model (or an MLP sized by a table) with its data and model card,
// the training recipe of the preset (optimizer, schedule, augmentation,
// early stopping) unless told otherwise, a checkpoint after every epoch, the
// history files, the final model file with its card, and resume from a
// checkpoint, bit for bit. The CLI is a thin layer of flags over it; a Go
// program gets the same run with a few calls:
//
//	s, err := experiment.PresetSettings("lenet5") // LeNet-5 on MNIST, its recipe
//	s.Epochs, s.Out = 3, "run"
//	s.Dataset = modelcard.FashionMNISTDataset      // optional: another of the preset's Datasets
//	e, err := experiment.New(s)
//	defer e.Close()
//	res, err := e.Fit(ctx, experiment.FitOptions{Progress: os.Stderr})
//	fmt.Println(res.Test) // test accuracy ... over 10000 samples
package experiment
