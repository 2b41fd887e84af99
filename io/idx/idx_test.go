package idx

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// header builds an IDX header by hand, so tests can write headers that
// Write refuses.
func header(dtype byte, dims ...uint32) []byte {
	b := []byte{0, 0, dtype, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return b
}

func gzipped(t testing.TB, raw []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func seq(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + 3)
	}
	return b
}

func writeTemp(t *testing.T, name string, content []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadValid(t *testing.T) {
	cases := []struct {
		name string
		dims []int
	}{
		{"labels", []int{5}},
		{"images", []int{3, 4, 2}},
		{"2d", []int{2, 6}},
		{"4d", []int{2, 3, 1, 2}},
	}
	for _, c := range cases {
		n := 1
		for _, d := range c.dims {
			n *= d
		}
		want := seq(n)
		var raw bytes.Buffer
		if err := Write(&raw, c.dims, want); err != nil {
			t.Fatal(err)
		}
		for _, enc := range []struct {
			suffix  string
			content []byte
		}{{"", raw.Bytes()}, {".gz", gzipped(t, raw.Bytes())}} {
			t.Run(c.name+enc.suffix, func(t *testing.T) {
				dims, data, err := ReadFile(writeTemp(t, "f-ubyte"+enc.suffix, enc.content))
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(dims, c.dims) {
					t.Errorf("dims = %v, want %v", dims, c.dims)
				}
				if !bytes.Equal(data, want) {
					t.Errorf("data = %v, want %v", data, want)
				}
			})
		}
	}
}

func TestReadGzipDetectedByContent(t *testing.T) {
	var raw bytes.Buffer
	if err := Write(&raw, []int{4}, []byte{1, 2, 3, 4}); err != nil {
		t.Fatal(err)
	}
	// A compressed file without .gz and a raw one with it.
	for name, content := range map[string][]byte{
		"labels-idx1-ubyte":    gzipped(t, raw.Bytes()),
		"labels-idx1-ubyte.gz": raw.Bytes(),
	} {
		t.Run(name, func(t *testing.T) {
			_, data, err := ReadFile(writeTemp(t, name, content))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(data, []byte{1, 2, 3, 4}) {
				t.Errorf("data = %v", data)
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	ok := append(header(0x08, 2, 3), seq(6)...)
	okGz := gzipped(t, ok)
	// A valid gzip stream whose trailer ISIZE is forged to agree with a
	// header declaring 512 MiB: deflate cannot expand 60 bytes that far.
	forged := gzipped(t, append(header(0x08, 1<<29), seq(10)...))
	binary.LittleEndian.PutUint32(forged[len(forged)-4:], 1<<29+8)
	cases := []struct {
		name    string
		content []byte
		want    string
	}{
		{"empty", nil, "truncated header"},
		{"short header", []byte{0, 0, 8}, "truncated header"},
		{"missing dims", []byte{0, 0, 8, 3, 0, 0, 0, 1}, "truncated header"},
		{"wrong magic", append([]byte{0, 1, 8, 1, 0, 0, 0, 1}, 0), "bad magic"},
		{"float32 type", append(header(0x0D, 1), 0, 0, 0, 0), "data type 0x0d (float32) is not supported"},
		{"unknown type", append(header(0x42, 1), 0), "unknown data type 0x42"},
		{"no dims", header(0x08), "0 dimensions: want 1 to 4"},
		{"five dims", append(header(0x08, 1, 1, 1, 1, 1), 0), "5 dimensions"},
		{"zero dim", header(0x08, 3, 0, 2), "dimension 1 is zero"},
		{"overflow", header(0x08, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff), "declare more than"},
		{"too large", header(0x08, 1<<16, 1<<15), "declare more than 1073741824 bytes"},
		{"truncated", ok[:len(ok)-2], "truncated: want 6 bytes of data, got 4"},
		{"trailing", append(slices.Clone(ok), 9, 9), "2 trailing bytes after 6 bytes of data"},
		{"gzip truncated data", gzipped(t, ok[:len(ok)-1]), "truncated: want 6 bytes of data, got 5"},
		{"gzip trailing data", gzipped(t, append(slices.Clone(ok), 1)), "1 trailing bytes after 6 bytes of data"},
		{"gzip cut short", okGz[:len(okGz)-10], "truncated"},
		{"gzip bytes after stream", append(slices.Clone(okGz), okGz...), "bytes after the gzip stream"},
		{"gzip too short", okGz[:12], "too short"},
		{"gzip bad header", append([]byte{0x1f, 0x8b, 0}, make([]byte, 20)...), "gzip"},
		{"gzip forged size", forged, "decompress: gzip: invalid checksum"},
		{"gzip too large", gzipped(t, header(0x08, 1<<16, 1<<15)), "declare more than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dims, data, err := Read(bytes.NewReader(c.content), int64(len(c.content)))
			if err == nil {
				t.Fatalf("Read succeeded with dims %v and %d bytes, want error containing %q", dims, len(data), c.want)
			}
			if !strings.HasPrefix(err.Error(), "idx: ") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want it to start with \"idx: \" and contain %q", err, c.want)
			}
		})
	}
}

func TestReadFileErrorNamesFile(t *testing.T) {
	content := append(header(0x08, 60000, 28, 28), seq(123)...)
	want := "idx: train-images-idx3-ubyte.gz: truncated: want 47040000 bytes of data, got 123"
	for _, c := range []struct {
		name    string
		content []byte
	}{{"raw", content}, {"gzip", gzipped(t, content)}} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := ReadFile(writeTemp(t, "train-images-idx3-ubyte.gz", c.content))
			if err == nil || err.Error() != want {
				t.Errorf("error %v, want %q", err, want)
			}
		})
	}
	t.Run("missing", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "nope-idx1-ubyte")
		_, _, err := ReadFile(path)
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("error %v, want it to name %s", err, path)
		}
	})
	t.Run("directory", func(t *testing.T) {
		if _, _, err := ReadFile(t.TempDir()); err == nil {
			t.Error("reading a directory succeeded")
		}
	})
}

// TestLyingHeaderDoesNotAllocate checks that a small file whose header
// declares 512 MiB fails without allocating anything near that.
func TestLyingHeaderDoesNotAllocate(t *testing.T) {
	raw := append(header(0x08, 1<<13, 1<<8, 1<<8), seq(100)...)
	forged := gzipped(t, raw)
	binary.LittleEndian.PutUint32(forged[len(forged)-4:], 1<<29+16)
	for _, c := range []struct {
		name    string
		content []byte
	}{{"raw", raw}, {"gzip", gzipped(t, raw)}, {"gzip forged trailer", forged}} {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, _, err := Read(bytes.NewReader(c.content), int64(len(c.content)))
			runtime.ReadMemStats(&after)
			if err == nil {
				t.Fatal("Read accepted a lying header")
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
				t.Errorf("Read allocated %d bytes for a %d-byte file", got, len(c.content))
			}
		})
	}
}

func TestWriteErrors(t *testing.T) {
	cases := []struct {
		name string
		dims []int
		data []byte
	}{
		{"no dims", nil, nil},
		{"five dims", []int{1, 1, 1, 1, 1}, []byte{0}},
		{"zero dim", []int{2, 0}, nil},
		{"negative dim", []int{-1}, nil},
		{"too large", []int{1 << 16, 1 << 16}, nil},
		{"length mismatch", []int{2, 2}, []byte{1, 2, 3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, c.dims, c.data); err == nil || !strings.HasPrefix(err.Error(), "idx: write: ") {
				t.Errorf("error %v, want an idx: write: error", err)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes despite the error", buf.Len())
			}
		})
	}
}

func FuzzRead(f *testing.F) {
	ok := append(header(0x08, 2, 3), seq(6)...)
	f.Add(ok)
	f.Add(gzipped(f, ok))
	f.Add(header(0x08, 1<<13, 1<<8, 1<<8))
	f.Add(gzipped(f, header(0x08, 1<<29)))
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, content []byte) {
		dims, data, err := Read(bytes.NewReader(content), int64(len(content)))
		if err != nil {
			return
		}
		n := 1
		for _, d := range dims {
			if d <= 0 {
				t.Fatalf("accepted dimension %d", d)
			}
			n *= d
		}
		if n != len(data) {
			t.Fatalf("dims %v but %d bytes of data", dims, len(data))
		}
		// What Read accepts, Write must reproduce (as a raw file).
		var buf bytes.Buffer
		if err := Write(&buf, dims, data); err != nil {
			t.Fatalf("Write refused what Read accepted: %v", err)
		}
		if len(content) > 0 && content[0] == 0 && !bytes.Equal(buf.Bytes(), content) {
			t.Fatalf("raw file does not round-trip")
		}
	})
}
