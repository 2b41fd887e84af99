// Package idx provides a validating reader for IDX files, the format of the
// MNIST family of datasets (MNIST, Fashion-MNIST, EMNIST, KMNIST).
//
// An IDX file is a big-endian header (two zero bytes, a type code, the number
// of dimensions, then each dimension as a uint32) followed by the data. Only
// the unsigned-byte type (0x08), the one those datasets use, is supported.
// Files may be gzip-compressed; compression is detected from the content.
//
// The reader trusts nothing in the header: it checks the declared size
// against what the file can actually hold before it allocates, so a corrupt
// or hostile header cannot make it allocate gigabytes.
//
//	dims, pixels, err := idx.ReadFile("train-images-idx3-ubyte.gz")
//	// dims == [60000 28 28], len(pixels) == 47040000
package idx
