package download

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFetchCaches(t *testing.T) {
	body := []byte("some dataset bytes")
	srv := newServer(t, map[string][]byte{"/data.bin": body})
	dir := filepath.Join(t.TempDir(), "cache", "sub") // created by Fetch
	fetch := func() string {
		t.Helper()
		path, err := Fetch(context.Background(), srv.URL+"/data.bin", dir, "data.bin", strings.ToUpper(sum(body)), srv.options())
		if err != nil {
			t.Fatal(err)
		}
		return path
	}
	steps := []struct {
		name     string
		before   func(path string) // run before the fetch
		requests int64             // total so far, after the fetch
	}{
		{"first fetch downloads", nil, 1},
		{"second fetch uses the cache", nil, 1},
		{"corrupt copy is replaced", func(path string) {
			if err := os.WriteFile(path, []byte("garbage"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, 2},
	}
	path := filepath.Join(dir, "data.bin")
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			if step.before != nil {
				step.before(path)
			}
			if got := fetch(); got != path {
				t.Fatalf("path %s, want %s", got, path)
			}
			if n := srv.requests.Load(); n != step.requests {
				t.Errorf("%d requests so far, want %d", n, step.requests)
			}
			got, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(got, body) {
				t.Fatalf("cached file %q (%v), want %q", got, err, body)
			}
			if names := listDir(t, dir); len(names) != 1 {
				t.Errorf("cache folder holds %v, want only data.bin", names)
			}
		})
	}
}

func TestFetchErrors(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789"), 100)
	srv := newServer(t, map[string][]byte{"/data.bin": body})
	// A server that declares a huge Content-Length and sends nothing.
	huge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1099511627776")
		w.WriteHeader(http.StatusOK)
	}))
	defer huge.Close()
	// A server that streams without Content-Length.
	chunked := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for range 10 {
			w.Write(body[:100])
			w.(http.Flusher).Flush()
		}
	}))
	defer chunked.Close()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	good := sum(body)

	tests := []struct {
		name     string
		ctx      context.Context
		url      string
		fileName string
		sha      string
		opts     Options
		is       error    // wrapped sentinel, if any
		want     []string // substrings of the message
	}{
		{"wrong checksum", nil, srv.URL + "/data.bin", "data.bin", sum([]byte("other")), srv.options(),
			ErrChecksum, []string{sum([]byte("other")), good, "/data.bin"}},
		{"404", nil, srv.URL + "/missing.bin", "data.bin", good, srv.options(),
			ErrStatus, []string{srv.URL + "/missing.bin", "404"}},
		{"oversized Content-Length", nil, huge.URL + "/x", "data.bin", good, Options{Client: huge.Client(), MaxBytes: 500},
			ErrTooLarge, []string{"Content-Length 1099511627776", "500"}},
		{"oversized body", nil, chunked.URL + "/x", "data.bin", good, Options{Client: chunked.Client(), MaxBytes: 999},
			ErrTooLarge, []string{"999"}},
		{"cancelled context", cancelled, srv.URL + "/data.bin", "data.bin", good, srv.options(),
			context.Canceled, nil},
		{"short checksum", nil, srv.URL + "/data.bin", "data.bin", good[:10], srv.options(),
			nil, []string{"want 64 hexadecimal digits"}},
		{"checksum not hex", nil, srv.URL + "/data.bin", "data.bin", strings.Repeat("g", 64), srv.options(),
			nil, []string{"checksum"}},
		{"file name with folder", nil, srv.URL + "/data.bin", "a/data.bin", good, srv.options(),
			nil, []string{`"a/data.bin"`}},
		{"file name ..", nil, srv.URL + "/data.bin", "..", good, srv.options(),
			nil, []string{`".."`}},
		{"negative MaxBytes", nil, srv.URL + "/data.bin", "data.bin", good, Options{MaxBytes: -1},
			nil, []string{"MaxBytes -1"}},
		{"BaseURL", nil, srv.URL + "/data.bin", "data.bin", good, Options{BaseURL: "http://mirror/"},
			nil, []string{"BaseURL"}},
		{"empty URL", nil, "", "data.bin", good, srv.options(),
			nil, []string{"empty URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := tt.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			dir := t.TempDir()
			path, err := Fetch(ctx, tt.url, dir, tt.fileName, tt.sha, tt.opts)
			if err == nil {
				t.Fatalf("no error (path %s)", path)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v does not wrap %v", err, tt.is)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if names := listDir(t, dir); len(names) != 0 {
				t.Errorf("files left behind: %v", names)
			}
		})
	}
}

func TestFetchCancelMidway(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(make([]byte, 1000))
		w.(http.Flusher).Flush()
		cancel() // the client gives up while the body is still coming
		<-r.Context().Done()
	}))
	defer srv.Close()
	dir := t.TempDir()
	_, err := Fetch(ctx, srv.URL+"/x", dir, "x.bin", sum(nil), Options{Client: srv.Client()})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if names := listDir(t, dir); len(names) != 0 {
		t.Errorf("files left behind: %v", names)
	}
}

func TestDefaultCacheDir(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", "/tmp/somewhere")
	t.Setenv("HOME", "/tmp/home")
	dir, err := DefaultCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	if dir != filepath.Join(want, "gozoo") {
		t.Fatalf("DefaultCacheDir() = %s, want %s", dir, filepath.Join(want, "gozoo"))
	}
}
