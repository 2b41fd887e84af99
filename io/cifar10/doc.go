// Package cifar10 provides the CIFAR-10 image-classification dataset, read
// from its binary distribution, as a loader.Classified.
//
// The binary files (data_batch_1.bin to data_batch_5.bin for training,
// test_batch.bin for testing) hold records of 3073 bytes: a label byte 0-9
// and a 32x32 colour image stored as 1024 red, 1024 green and 1024 blue
// bytes, each plane row by row. Images stay in memory as uint8 (150 MB for
// the training set) and are scaled to float32 one sample at a time, in
// channels x height x width order, when a batch is filled.
//
//	train, test, err := cifar10.Load(dir) // dir from download.FetchCIFAR10
//	if err != nil { ... }
//	mean, std := train.ChannelStats()
//	train, err = train.WithNormalization(mean, std)
//
// Write produces files in the same format, for tests and for users who
// convert their own images.
package cifar10
