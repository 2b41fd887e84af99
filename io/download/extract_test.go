package download

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExtractTarGz(t *testing.T) {
	archive := writeTemp(t, "a.tar.gz", tarGz(t, []entry{
		{name: "top/", typ: tar.TypeDir},
		{name: "top/a.txt", body: []byte("alpha")},
		{name: "top/deep/b.txt", body: []byte("beta")}, // no folder entry before it
		{name: "./c.txt", body: nil},
	}))
	dest := filepath.Join(t.TempDir(), "out")
	for _, round := range []string{"first", "again, overwriting"} {
		t.Run(round, func(t *testing.T) {
			if err := ExtractTarGz(archive, dest); err != nil {
				t.Fatal(err)
			}
			for name, want := range map[string]string{"top/a.txt": "alpha", "top/deep/b.txt": "beta", "c.txt": ""} {
				got, err := os.ReadFile(filepath.Join(dest, name))
				if err != nil || string(got) != want {
					t.Errorf("%s = %q (%v), want %q", name, got, err, want)
				}
			}
		})
	}
}

func TestExtractTarGzRejects(t *testing.T) {
	tests := []struct {
		name    string
		entries []entry
		want    string
	}{
		{"dot-dot path", []entry{{name: "../evil", body: []byte("x")}}, `"../evil"`},
		{"dot-dot inside", []entry{{name: "a/../../evil", body: []byte("x")}}, `"a/../../evil"`},
		{"dot-dot that stays inside", []entry{{name: "a/../b", body: []byte("x")}}, `".."`},
		{"absolute path", []entry{{name: "/tmp/evil", body: []byte("x")}}, `"/tmp/evil"`},
		{"backslash", []entry{{name: `..\evil`, body: []byte("x")}}, `evil`},
		{"dot-dot folder", []entry{{name: "../d/", typ: tar.TypeDir}}, `"../d/"`},
		{"symlink", []entry{{name: "link", typ: tar.TypeSymlink, link: "/etc/passwd"}}, "type"},
		{"hard link", []entry{{name: "link", typ: tar.TypeLink, link: "a"}}, "type"},
		{"device", []entry{{name: "dev", typ: tar.TypeChar}}, "type"},
		{"after a good file", []entry{{name: "ok.txt", body: []byte("ok")}, {name: "../evil", body: []byte("x")}}, `"../evil"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			work := t.TempDir()
			archive := filepath.Join(work, "a.tar.gz")
			if err := os.WriteFile(archive, tarGz(t, tt.entries), 0o644); err != nil {
				t.Fatal(err)
			}
			dest := filepath.Join(work, "dest", "inner")
			err := ExtractTarGz(archive, dest)
			if !errors.Is(err, ErrUnsafeArchive) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want ErrUnsafeArchive mentioning %s", err, tt.want)
			}
			for _, outside := range []string{filepath.Join(work, "dest", "evil"), filepath.Join(work, "evil")} {
				if _, err := os.Lstat(outside); err == nil {
					t.Errorf("%s was written", outside)
				}
			}
		})
	}
}

func TestExtractTarGzSizeLimit(t *testing.T) {
	// A header that declares a file above the limit; its data never comes,
	// and need not: the header alone is refused.
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	if err := tw.WriteHeader(&tar.Header{Name: "big", Typeflag: tar.TypeReg, Mode: 0o644, Size: MaxExtractFileBytes + 1}); err != nil {
		t.Fatal(err)
	}
	tw.Flush() // reports the missing data; the header is already written
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	archive := writeTemp(t, "big.tar.gz", buf.Bytes())
	err := ExtractTarGz(archive, t.TempDir())
	if !errors.Is(err, ErrUnsafeArchive) || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("error %v, want ErrUnsafeArchive about the size limit", err)
	}
}

func TestExtractTarGzNotGzip(t *testing.T) {
	archive := writeTemp(t, "plain.tar.gz", []byte("not gzip at all"))
	if err := ExtractTarGz(archive, t.TempDir()); err == nil || !strings.Contains(err.Error(), archive) {
		t.Fatalf("error %v, want one naming %s", err, archive)
	}
}

// TestExtractTarGzSparse checks that a PAX sparse file, which archive/tar
// expands to its declared size, counts at that size: a few bytes of
// archive cannot write a file above MaxExtractFileBytes.
func TestExtractTarGzSparse(t *testing.T) {
	dest := t.TempDir()
	if err := ExtractTarGz(writeTemp(t, "small.tar.gz", gzipBytes(t, sparseTar(t, 1000))), dest); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dest, "big"))
	if err != nil || len(got) != 1000 || string(got[997:]) != "end" {
		t.Fatalf("sparse file: %d bytes ending %q (%v), want 1000 ending \"end\"", len(got), got[max(len(got)-3, 0):], err)
	}
	err = ExtractTarGz(writeTemp(t, "huge.tar.gz", gzipBytes(t, sparseTar(t, MaxExtractFileBytes+1))), t.TempDir())
	if !errors.Is(err, ErrUnsafeArchive) || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("error %v, want ErrUnsafeArchive about the size limit", err)
	}
}
