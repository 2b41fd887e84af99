package download

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fuzzLimits are ExtractTarGz's limits scaled down, so that a fuzzed
// header cannot make a run write gigabytes (a PAX sparse entry of a few
// bytes may expand to its full declared size, as a gzip bomb may).
var fuzzLimits = extractLimits{fileBytes: 64 << 10, totalBytes: 256 << 10, entries: 100}

// FuzzExtractTarGz extracts arbitrary archives (the fuzz input is the tar
// stream, gzipped before extraction unless raw is set, in which case it is
// the .tar.gz file itself) and checks that no input makes the extractor
// panic, write outside its folder, create anything but regular files and
// folders, or write more than its limits allow.
func FuzzExtractTarGz(f *testing.F) {
	f.Add(tarBytes(f, []entry{
		{name: "top/", typ: tar.TypeDir},
		{name: "top/a.txt", body: []byte("alpha")},
		{name: "top/deep/b.txt", body: []byte("beta")},
		{name: "./c.txt"},
	}), false)
	for _, e := range []entry{
		{name: "../evil", body: []byte("x")},
		{name: "a/../../evil", body: []byte("x")},
		{name: "/tmp/evil", body: []byte("x")},
		{name: `..\evil`, body: []byte("x")},
		{name: "link", typ: tar.TypeSymlink, link: "/etc/passwd"},
		{name: "link", typ: tar.TypeLink, link: "a"},
		{name: "dev", typ: tar.TypeChar},
		{name: "fifo", typ: tar.TypeFifo},
		{name: ".", typ: tar.TypeDir},
		{name: "."},
	} {
		f.Add(tarBytes(f, []entry{{name: "ok.txt", body: []byte("ok")}, e}), false)
	}
	// A file, then a folder below it; the same name twice.
	f.Add(tarBytes(f, []entry{{name: "a", body: []byte("1")}, {name: "a/b", body: []byte("2")}}), false)
	f.Add(tarBytes(f, []entry{{name: "a", body: []byte("1")}, {name: "a", body: []byte("22")}}), false)
	// A PAX sparse file: 3 bytes of data declared as 2 MiB, above fuzzLimits.
	f.Add(sparseTar(f, 2<<20), false)
	f.Add(sparseTar(f, 1000), false)
	f.Add(gzipBytes(f, tarBytes(f, []entry{{name: "x", body: []byte("y")}})), true)
	f.Add([]byte{0x1f, 0x8b, 8, 0}, true)
	f.Fuzz(func(t *testing.T, data []byte, raw bool) {
		work := t.TempDir()
		archive := filepath.Join(work, "a.tar.gz")
		content := data
		if !raw {
			content = gzipBytes(t, data)
		}
		if err := os.WriteFile(archive, content, 0o644); err != nil {
			t.Fatal(err)
		}
		dest := filepath.Join(work, "dest", "inner")
		extractTarGz(archive, dest, fuzzLimits) // an error is fine; what it left is checked
		var total int64
		err := filepath.WalkDir(work, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(work, path)
			inside := rel == "." || rel == "a.tar.gz" || rel == "dest" || rel == filepath.Join("dest", "inner") ||
				strings.HasPrefix(rel, filepath.Join("dest", "inner")+string(filepath.Separator))
			if !inside {
				t.Errorf("wrote %s outside the destination", rel)
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			if !info.Mode().IsRegular() && !info.IsDir() {
				t.Errorf("created %s with mode %v", rel, info.Mode())
			}
			if info.Mode().IsRegular() && rel != "a.tar.gz" {
				total += info.Size()
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if total > fuzzLimits.totalBytes {
			t.Errorf("extracted %d bytes, above the %d-byte limit", total, fuzzLimits.totalBytes)
		}
	})
}

// sparseTar returns a tar stream holding one PAX sparse file (format 1.0)
// of realSize bytes, all of them a hole but its last 3. archive/tar's
// Writer drops GNU.sparse records, so the blocks are put together here.
func sparseTar(t testing.TB, realSize int64) []byte {
	var pax bytes.Buffer
	for _, kv := range [][2]string{
		{"GNU.sparse.major", "1"}, {"GNU.sparse.minor", "0"},
		{"GNU.sparse.name", "big"}, {"GNU.sparse.realsize", strconv.FormatInt(realSize, 10)},
	} {
		rec := " " + kv[0] + "=" + kv[1] + "\n"
		n := len(rec) + 1 // a record's length counts its own digits
		for len(strconv.Itoa(n))+len(rec) != n {
			n++
		}
		pax.WriteString(strconv.Itoa(n) + rec)
	}
	// The data: the sparse map (one fragment of 3 bytes at realSize-3) in a
	// block of its own, then the fragment.
	data := make([]byte, 512)
	copy(data, "1\n"+strconv.FormatInt(realSize-3, 10)+"\n3\n")
	data = append(data, "end"...)

	var out bytes.Buffer
	out.Write(rawHeader(t, "PaxHeaders.0/big", tar.TypeXHeader, pax.Len()))
	out.Write(padded(pax.Bytes()))
	out.Write(rawHeader(t, "GNUSparseFile.0/big", tar.TypeReg, len(data)))
	out.Write(padded(data))
	out.Write(make([]byte, 1024)) // end of archive
	return out.Bytes()
}

// rawHeader returns a USTAR header block for an entry of size bytes with
// typeflag typ, which tar.Writer would refuse to write for TypeXHeader.
func rawHeader(t testing.TB, name string, typ byte, size int) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(size), Format: tar.FormatUSTAR}); err != nil {
		t.Fatal(err)
	}
	block := bytes.Clone(buf.Bytes()[:512])
	block[156] = typ
	copy(block[148:156], "        ") // the checksum counts its own field as spaces
	sum := 0
	for _, b := range block {
		sum += int(b)
	}
	copy(block[148:156], fmt.Sprintf("%06o\x00 ", sum))
	return block
}

// padded returns b followed by zeros up to a whole number of 512-byte blocks.
func padded(b []byte) []byte {
	return append(bytes.Clone(b), make([]byte, (512-len(b)%512)%512)...)
}
