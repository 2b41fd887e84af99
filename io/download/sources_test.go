package download

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/io/cifar10"
	"github.com/gozoo/gozoo/io/mnist"
)

func TestSourceURL(t *testing.T) {
	s := Source{BaseURL: "https://example.org/data/", FileName: "f.gz"}
	for base, want := range map[string]string{
		"":                 "https://example.org/data/f.gz",
		"http://mirror/x":  "http://mirror/x/f.gz",
		"http://mirror/x/": "http://mirror/x/f.gz",
	} {
		if got := s.URL(base); got != want {
			t.Errorf("URL(%q) = %s, want %s", base, got, want)
		}
	}
	for _, src := range append(CIFAR10Sources(), FashionMNISTSources()...) {
		if _, err := checkArgs(src.URL(""), "dir", src.FileName, src.SHA256); err != nil {
			t.Errorf("source %s: %v", src.FileName, err)
		}
	}
}

func TestFetchCIFAR10(t *testing.T) {
	archive := cifarArchive(t)
	bad := tarGz(t, []entry{{name: cifar10.BatchesDir + "/data_batch_1.bin", body: cifarFile(t, 1, 0)}})
	srv := newServer(t, map[string][]byte{
		"/mirror/cifar-10-binary.tar.gz": archive,
		"/mirror/bad.tar.gz":             bad,
	})
	source := Source{BaseURL: "http://unused.invalid/", FileName: "cifar-10-binary.tar.gz", SHA256: sum(archive)}
	opts := srv.options()
	opts.BaseURL = srv.URL + "/mirror"
	cache := t.TempDir()
	want := filepath.Join(cache, CIFAR10Dir, cifar10.BatchesDir)
	for k, requests := range []int64{1, 1} { // the second call makes none
		dir, err := fetchCIFAR10(context.Background(), cache, opts, source)
		if err != nil {
			t.Fatalf("call %d: %v", k+1, err)
		}
		if dir != want {
			t.Fatalf("call %d: dir %s, want %s", k+1, dir, want)
		}
		if n := srv.requests.Load(); n != requests {
			t.Errorf("call %d: %d requests so far, want %d", k+1, n, requests)
		}
		train, test, err := cifar10.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		if train.Len() != 10 || test.Len() != 3 || train.Label(2) != 1 {
			t.Fatalf("call %d: %d training and %d test images, label 2 = %d; want 10, 3, 1",
				k+1, train.Len(), test.Len(), train.Label(2))
		}
	}
	// No leftovers from the extraction beside the archive and the folder.
	if names := listDir(t, filepath.Join(cache, CIFAR10Dir)); len(names) != 2 {
		t.Errorf("cache holds %v, want the archive and %s", names, cifar10.BatchesDir)
	}

	t.Run("incomplete folder is extracted again", func(t *testing.T) {
		if err := os.Remove(filepath.Join(want, cifar10.TestFile)); err != nil {
			t.Fatal(err)
		}
		if _, err := fetchCIFAR10(context.Background(), cache, opts, source); err != nil {
			t.Fatal(err)
		}
		if n := srv.requests.Load(); n != 1 {
			t.Errorf("%d requests, want 1: the cached archive should be reused", n)
		}
		if _, err := os.Stat(filepath.Join(want, cifar10.TestFile)); err != nil {
			t.Error(err)
		}
	})
	t.Run("archive without the test file", func(t *testing.T) {
		src := Source{FileName: "bad.tar.gz", SHA256: sum(bad)}
		_, err := fetchCIFAR10(context.Background(), t.TempDir(), opts, src)
		if err == nil || !strings.Contains(err.Error(), "no "+cifar10.TrainFiles()[1]) {
			t.Fatalf("error %v, want one naming the missing %s", err, cifar10.TrainFiles()[1])
		}
	})
	t.Run("published checksum is enforced", func(t *testing.T) {
		_, err := FetchCIFAR10(context.Background(), t.TempDir(), opts)
		if !errors.Is(err, ErrChecksum) {
			t.Fatalf("error %v, want ErrChecksum: the test archive is not the real one", err)
		}
	})
}

func TestFetchFashionMNIST(t *testing.T) {
	const n, test = 5, 2
	images := make([]uint8, n*28*28)
	for i := range images {
		images[i] = uint8(i)
	}
	files := map[string][]byte{
		"/f/train-images-idx3-ubyte.gz": idxGz(t, []int{n, 28, 28}, images),
		"/f/train-labels-idx1-ubyte.gz": idxGz(t, []int{n}, []uint8{9, 8, 7, 6, 5}),
		"/f/t10k-images-idx3-ubyte.gz":  idxGz(t, []int{test, 28, 28}, images[:test*28*28]),
		"/f/t10k-labels-idx1-ubyte.gz":  idxGz(t, []int{test}, []uint8{0, 1}),
	}
	var sources []Source
	for _, s := range FashionMNISTSources() {
		s.SHA256 = sum(files["/f/"+s.FileName])
		sources = append(sources, s)
	}
	srv := newServer(t, files)
	opts := srv.options()
	opts.BaseURL = srv.URL + "/f/"
	cache := t.TempDir()
	for k, requests := range []int64{4, 4} {
		dir, err := fetchFashionMNIST(context.Background(), cache, opts, sources)
		if err != nil {
			t.Fatal(err)
		}
		if dir != filepath.Join(cache, FashionMNISTDir) {
			t.Fatalf("dir %s", dir)
		}
		if got := srv.requests.Load(); got != requests {
			t.Errorf("call %d: %d requests so far, want %d", k+1, got, requests)
		}
		train, testSet, err := mnist.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		if train.Len() != n || testSet.Len() != test || train.Label(0) != 9 || testSet.Label(1) != 1 {
			t.Fatalf("loaded %d and %d images, labels %d %d", train.Len(), testSet.Len(), train.Label(0), testSet.Label(1))
		}
	}
	t.Run("published checksums are enforced", func(t *testing.T) {
		_, err := FetchFashionMNIST(context.Background(), t.TempDir(), opts)
		if !errors.Is(err, ErrChecksum) {
			t.Fatalf("error %v, want ErrChecksum", err)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		o := opts
		o.BaseURL = srv.URL + "/elsewhere/"
		_, err := FetchFashionMNIST(context.Background(), t.TempDir(), o)
		if !errors.Is(err, ErrStatus) {
			t.Fatalf("error %v, want ErrStatus", err)
		}
	})
}
