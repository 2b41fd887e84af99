package download

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/gozoo/gozoo/io/cifar10"
	"github.com/gozoo/gozoo/io/idx"
)

// server is a test HTTP server that serves files by path and counts
// requests.
type server struct {
	*httptest.Server
	files    map[string][]byte // path -> body; others get 404
	requests atomic.Int64
}

func newServer(t *testing.T, files map[string][]byte) *server {
	t.Helper()
	s := &server{files: files}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		body, ok := s.files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) options() Options { return Options{Client: s.Client()} }

func sum(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

func gzipBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// entry is one member of a test archive.
type entry struct {
	name string
	typ  byte // tar.TypeReg if 0
	body []byte
	link string
}

// tarGz builds a gzipped tar archive of entries.
func tarGz(t testing.TB, entries []entry) []byte {
	t.Helper()
	return gzipBytes(t, tarBytes(t, entries))
}

// tarBytes builds an uncompressed tar archive of entries.
func tarBytes(t testing.TB, entries []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: 0o644, Size: int64(len(e.body)), Linkname: e.link}
		switch e.typ {
		case 0:
			hdr.Typeflag = tar.TypeReg
		case tar.TypeDir:
			hdr.Mode = 0o755
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// cifarFile returns a CIFAR-10 file of n images, labels counting from
// first.
func cifarFile(t *testing.T, n, first int) []byte {
	t.Helper()
	images, labels := make([]uint8, n*cifar10.ImageBytes), make([]uint8, n)
	for i := range labels {
		labels[i] = uint8((first + i) % cifar10.Classes)
		images[i*cifar10.ImageBytes] = uint8(i)
	}
	var buf bytes.Buffer
	if err := cifar10.Write(&buf, images, labels); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// cifarArchive returns a miniature cifar-10-binary.tar.gz: two images in
// each training file, three in the test file.
func cifarArchive(t *testing.T) []byte {
	t.Helper()
	entries := []entry{{name: cifar10.BatchesDir + "/", typ: tar.TypeDir}}
	for k, name := range cifar10.TrainFiles() {
		entries = append(entries, entry{name: cifar10.BatchesDir + "/" + name, body: cifarFile(t, 2, k)})
	}
	entries = append(entries,
		entry{name: cifar10.BatchesDir + "/" + cifar10.TestFile, body: cifarFile(t, 3, 0)},
		entry{name: cifar10.BatchesDir + "/readme.html", body: []byte("<p>hi</p>")})
	return tarGz(t, entries)
}

// idxGz returns a gzipped IDX file.
func idxGz(t *testing.T, dims []int, data []uint8) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := idx.Write(&buf, dims, data); err != nil {
		t.Fatal(err)
	}
	return gzipBytes(t, buf.Bytes())
}

// listDir returns the names in dir, or nil if it does not exist.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// writeTemp writes data to a file in a fresh temporary folder.
func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
