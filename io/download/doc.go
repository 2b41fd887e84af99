// Package download provides cached, checksum-verified downloads of dataset
// files, and safe extraction of tar.gz archives.
//
// Fetch downloads a URL into a cache folder once: a later call finds the
// file there, checks its SHA-256 and makes no request. FetchCIFAR10 and
// FetchFashionMNIST fetch (and extract) a whole dataset and return the
// folder that cifar10.Load or mnist.Load reads:
//
//	dir, err := download.FetchCIFAR10(ctx, "", download.Options{}) // "" = DefaultCacheDir
//	if err != nil { ... }
//	train, test, err := cifar10.Load(dir)
//
// Downloads stream to a temporary file in the cache folder while they are
// hashed, and are renamed into place only when the size cap and the
// checksum pass, so an interrupted or corrupt download never leaves a file
// under the final name.
package download
