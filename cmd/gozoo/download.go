package main

import (
	"context"
	"fmt"
	"io"

	"github.com/gozoo/gozoo/io/download"
)

func runDownload(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("download", stderr)
	dir := fs.String("dir", "", "cache folder (default: the user cache folder's gozoo/)")
	names, err := parseFlagsWithArgs(fs, args, stderr, "gozoo download [-dir DIR] cifar10|fashion-mnist")
	if err != nil {
		return err
	}
	if len(names) != 1 {
		return fmt.Errorf("name one dataset: cifar10 or fashion-mnist")
	}
	var fetch func(context.Context, string, download.Options) (string, error)
	switch names[0] {
	case "cifar10":
		fetch = download.FetchCIFAR10
	case "fashion-mnist":
		fetch = download.FetchFashionMNIST
	default:
		return fmt.Errorf("unknown dataset %q (want cifar10 or fashion-mnist)", names[0])
	}
	path, err := fetch(ctx, *dir, download.Options{})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, path)
	return nil
}
