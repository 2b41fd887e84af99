package download_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/gozoo/gozoo/io/download"
)

func ExampleFetch() {
	// A stand-in for a dataset server; real code passes the published URL
	// and checksum, and a cache folder such as download.DefaultCacheDir().
	body := []byte("hello, dataset")
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Write(body)
	}))
	defer srv.Close()
	hash := sha256.Sum256(body)
	checksum := hex.EncodeToString(hash[:])

	cache, err := os.MkdirTemp("", "gozoo-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(cache)
	opts := download.Options{Client: srv.Client()}
	for range 2 {
		path, err := download.Fetch(context.Background(), srv.URL+"/hello.txt", cache, "hello.txt", checksum, opts)
		if err != nil {
			fmt.Println(err)
			return
		}
		data, _ := os.ReadFile(path)
		fmt.Printf("%s: %s (%d request)\n", filepath.Base(path), data, requests.Load())
	}

	_, err = download.Fetch(context.Background(), srv.URL+"/hello.txt", cache, "other.txt", checksum[:8], opts)
	fmt.Println(err)
	// Output:
	// hello.txt: hello, dataset (1 request)
	// hello.txt: hello, dataset (1 request)
	// download: checksum "28d8b8b9" of other.txt: want 64 hexadecimal digits of SHA-256
}
