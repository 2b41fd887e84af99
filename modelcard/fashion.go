package modelcard

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/gozoo/gozoo/io/download"
	"github.com/gozoo/gozoo/io/mnist"
)

// debianFashionMNISTDir is where Debian's package dataset-fashion-mnist
// installs the four gzipped IDX files, under MNIST's file names.
const debianFashionMNISTDir = "/usr/share/datasets/fashion-mnist"

// FashionMNISTDir returns the folder that Data reads Fashion-MNIST from
// when given none: Debian's package folder /usr/share/datasets/fashion-mnist
// if it holds the four files, else the folder `gozoo download
// fashion-mnist` fills (download.FashionMNISTDir in the download cache).
func FashionMNISTDir() (string, error) {
	return findFashionMNIST(fashionMNISTDirs())
}

// fashionMNISTDirs lists the folders FashionMNISTDir looks in, in order.
func fashionMNISTDirs() []string {
	dirs := []string{debianFashionMNISTDir}
	if cache, err := download.DefaultCacheDir(); err == nil {
		dirs = append(dirs, filepath.Join(cache, download.FashionMNISTDir))
	}
	return dirs
}

// findFashionMNIST returns the first of dirs that holds the four files,
// or one line naming the folders and the ways to fill one.
func findFashionMNIST(dirs []string) (string, error) {
	for _, dir := range dirs {
		if mnist.CheckDir(dir) == nil {
			return dir, nil
		}
	}
	return "", fmt.Errorf("modelcard: Fashion-MNIST data not found (looked in %s): install it with `apt-get install dataset-fashion-mnist`, fetch it with `gozoo download fashion-mnist`, or pass -data DIR",
		strings.Join(dirs, ", "))
}
