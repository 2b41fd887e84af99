package download

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gozoo/gozoo/io/cifar10"
)

// Source is one file of a known dataset: where it lives and its checksum.
type Source struct {
	BaseURL  string // folder URL, ending in "/"
	FileName string // name on the server and in the cache
	SHA256   string // SHA-256 of the file, hexadecimal
}

// URL is BaseURL followed by FileName, or base (a mirror) followed by
// FileName if base is not empty.
func (s Source) URL(base string) string {
	if base == "" {
		base = s.BaseURL
	}
	return strings.TrimSuffix(base, "/") + "/" + s.FileName
}

// CIFAR10Sources returns the CIFAR-10 binary archive published by its
// authors (170,052,171 bytes).
func CIFAR10Sources() []Source {
	return []Source{{
		BaseURL:  "https://www.cs.toronto.edu/~kriz/",
		FileName: "cifar-10-binary.tar.gz",
		SHA256:   "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
	}}
}

// FashionMNISTSources returns the four gzipped IDX files of Fashion-MNIST
// (github.com/zalandoresearch/fashion-mnist), named like MNIST's files.
func FashionMNISTSources() []Source {
	const base = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
	return []Source{
		{base, "train-images-idx3-ubyte.gz", "08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc"},
		{base, "train-labels-idx1-ubyte.gz", "b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc"},
		{base, "t10k-images-idx3-ubyte.gz", "78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229"},
		{base, "t10k-labels-idx1-ubyte.gz", "42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf"},
	}
}

// Folders under the cache folder that FetchCIFAR10 and FetchFashionMNIST
// use.
const (
	CIFAR10Dir      = "cifar10"
	FashionMNISTDir = "fashion-mnist"
)

// FetchFashionMNIST fetches the four Fashion-MNIST files into
// cacheDir/fashion-mnist (cacheDir "" means DefaultCacheDir) and returns
// that folder, which mnist.Load reads. Files already there with the right
// checksums are not downloaded again.
func FetchFashionMNIST(ctx context.Context, cacheDir string, opts Options) (dir string, err error) {
	return fetchFashionMNIST(ctx, cacheDir, opts, FashionMNISTSources())
}

func fetchFashionMNIST(ctx context.Context, cacheDir string, opts Options, sources []Source) (string, error) {
	dir, err := datasetDir(cacheDir, FashionMNISTDir)
	if err != nil {
		return "", err
	}
	for _, s := range sources {
		if _, err := fetch(ctx, s.URL(opts.BaseURL), dir, s.FileName, s.SHA256, opts); err != nil {
			return "", fmt.Errorf("%w (Fashion-MNIST)", err)
		}
	}
	return dir, nil
}

// FetchCIFAR10 fetches the CIFAR-10 binary archive into cacheDir/cifar10
// (cacheDir "" means DefaultCacheDir), extracts it there, and returns the
// extracted folder cacheDir/cifar10/cifar-10-batches-bin, which
// cifar10.Load reads. If that folder already holds the six data files it
// returns at once, without network or checksum; the archive is kept beside
// it (delete it to save 170 MB).
func FetchCIFAR10(ctx context.Context, cacheDir string, opts Options) (dir string, err error) {
	return fetchCIFAR10(ctx, cacheDir, opts, CIFAR10Sources()[0])
}

func fetchCIFAR10(ctx context.Context, cacheDir string, opts Options, source Source) (string, error) {
	base, err := datasetDir(cacheDir, CIFAR10Dir)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(base, cifar10.BatchesDir)
	if err := hasCIFAR10Files(dir); err == nil {
		return dir, nil
	}
	archive, err := fetch(ctx, source.URL(opts.BaseURL), base, source.FileName, source.SHA256, opts)
	if err != nil {
		return "", fmt.Errorf("%w (CIFAR-10)", err)
	}
	// Extract beside the final folder and rename it into place, so that an
	// interrupted extraction never looks complete.
	tmp, err := os.MkdirTemp(base, ".extract-*")
	if err != nil {
		return "", fmt.Errorf("download: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := ExtractTarGz(archive, tmp); err != nil {
		return "", err
	}
	extracted := filepath.Join(tmp, cifar10.BatchesDir)
	if err := hasCIFAR10Files(extracted); err != nil {
		return "", fmt.Errorf("download: %s: %w", archive, err)
	}
	if err := os.RemoveAll(dir); err != nil { // an incomplete earlier copy
		return "", fmt.Errorf("download: %w", err)
	}
	if err := os.Rename(extracted, dir); err != nil {
		return "", fmt.Errorf("download: %w", err)
	}
	return dir, nil
}

// datasetDir returns cacheDir/name, with DefaultCacheDir for "".
func datasetDir(cacheDir, name string) (string, error) {
	if cacheDir == "" {
		var err error
		if cacheDir, err = DefaultCacheDir(); err != nil {
			return "", err
		}
	}
	return filepath.Join(cacheDir, name), nil
}

// hasCIFAR10Files reports whether dir holds the six CIFAR-10 data files,
// each a whole number of records.
func hasCIFAR10Files(dir string) error {
	for _, name := range append(cifar10.TrainFiles(), cifar10.TestFile) {
		info, err := os.Stat(filepath.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("no %s in %s", name, cifar10.BatchesDir)
		}
		if err != nil {
			return err
		}
		if !info.Mode().IsRegular() || info.Size() <= 0 || info.Size()%cifar10.RecordBytes != 0 {
			return fmt.Errorf("%s in %s is not a CIFAR-10 data file", name, cifar10.BatchesDir)
		}
	}
	return nil
}
