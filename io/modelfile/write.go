package modelfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/bits"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// chunkValues is how many float32 values Write and Read convert per chunk.
const chunkValues = 16 << 10

// Write encodes f to w as a safetensors file: F32 (or I8), little-endian, row-major,
// tensors in the order given with ascending offsets, and the header padded
// with spaces so the data starts at a multiple of 8 bytes. It sets the
// metadata keys KeyFormat, KeyFormatVersion and KeyChecksum; f is not changed.
//
// The data is converted twice, once to hash it (the checksum sits in the
// header, before the data) and once to write it, so w needs no seeking and
// memory use stays at one small chunk.
func Write(w io.Writer, f *File) error {
	if f == nil {
		return errors.New("modelfile: nil file")
	}
	if err := checkTensors(f.Tensors); err != nil {
		return err
	}
	hash := sha256.New()
	scratch := make([]byte, 4*chunkValues)
	if err := writeData(hash, f.Tensors, scratch); err != nil {
		return err
	}
	meta := make(map[string]string, len(f.Metadata)+3)
	for k, v := range f.Metadata {
		meta[k] = v
	}
	meta[KeyFormat] = FormatName
	meta[KeyFormatVersion] = "1"
	for i := range f.Tensors {
		if f.Tensors[i].IsInt8() {
			meta[KeyFormatVersion] = "2"
		}
	}
	meta[KeyChecksum] = "sha256:" + hex.EncodeToString(hash.Sum(nil))
	header, err := encodeHeader(meta, f.Tensors)
	if err != nil {
		return err
	}
	if _, err := w.Write(header); err != nil {
		return fmt.Errorf("modelfile: write header: %w", err)
	}
	return writeData(w, f.Tensors, scratch)
}

// checkTensors rejects what would make an unreadable or ambiguous file.
func checkTensors(tensors []Tensor) error {
	seen := make(map[string]bool, len(tensors))
	for _, t := range tensors {
		switch {
		case t.Name == "":
			return errors.New("modelfile: empty tensor name")
		case t.Name == metadataKey:
			return fmt.Errorf("modelfile: tensor name %q is reserved", t.Name)
		case !utf8.ValidString(t.Name):
			return fmt.Errorf("modelfile: tensor name %q is not valid UTF-8", t.Name)
		case seen[t.Name]:
			return fmt.Errorf("modelfile: duplicate tensor name %q", t.Name)
		}
		seen[t.Name] = true
		n := uint64(1)
		for _, d := range t.Shape {
			if d < 0 {
				return fmt.Errorf("modelfile: tensor %q: negative dimension in shape %v", t.Name, t.Shape)
			}
			hi, lo := bits.Mul64(n, uint64(d))
			if hi != 0 || lo > math.MaxInt {
				return fmt.Errorf("modelfile: tensor %q: shape %v overflows", t.Name, t.Shape)
			}
			n = lo
		}
		if t.Int8 != nil && t.Data != nil {
			return fmt.Errorf("modelfile: tensor %q has both float32 and int8 data", t.Name)
		}
		if n != uint64(t.len()) {
			return fmt.Errorf("modelfile: tensor %q: shape %v holds %d values, data has %d", t.Name, t.Shape, n, t.len())
		}
	}
	return nil
}

// encodeHeader returns the 8-byte length prefix and the space-padded JSON
// header. It is built by hand because encoding/json sorts map keys and the
// tensor order must be kept.
func encodeHeader(meta map[string]string, tensors []Tensor) ([]byte, error) {
	var b bytes.Buffer
	b.Write(make([]byte, 8)) // length prefix, filled in below
	b.WriteString(`{"` + metadataKey + `":{`)
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if !utf8.ValidString(k) || !utf8.ValidString(meta[k]) {
			return nil, fmt.Errorf("modelfile: metadata %q is not valid UTF-8", k)
		}
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSONString(&b, k)
		b.WriteByte(':')
		writeJSONString(&b, meta[k])
	}
	b.WriteByte('}')
	offset := 0
	for _, t := range tensors {
		b.WriteByte(',')
		writeJSONString(&b, t.Name)
		b.WriteString(`:{"dtype":"` + t.dtype() + `","shape":[`)
		for i, d := range t.Shape {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(d))
		}
		end := offset + t.bytes()
		fmt.Fprintf(&b, `],"data_offsets":[%d,%d]}`, offset, end)
		offset = end
	}
	b.WriteByte('}')
	for b.Len()%8 != 0 {
		b.WriteByte(' ')
	}
	out := b.Bytes()
	binary.LittleEndian.PutUint64(out[:8], uint64(len(out)-8))
	return out, nil
}

// writeJSONString appends s as a JSON string. s is valid UTF-8 (checked by
// the callers), so encoding cannot fail or change it.
func writeJSONString(b *bytes.Buffer, s string) {
	enc, _ := json.Marshal(s)
	b.Write(enc)
}

// writeData writes every tensor's values as little-endian float32 bytes (or
// int8 bytes), converting through scratch (a multiple of 4 bytes long).
func writeData(w io.Writer, tensors []Tensor, scratch []byte) error {
	for _, t := range tensors {
		for start := 0; start < len(t.Int8); start += len(scratch) {
			part := t.Int8[start:min(start+len(scratch), len(t.Int8))]
			for i, v := range part {
				scratch[i] = byte(v)
			}
			if _, err := w.Write(scratch[:len(part)]); err != nil {
				return fmt.Errorf("modelfile: write tensor %q: %w", t.Name, err)
			}
		}
		for start := 0; start < len(t.Data); start += len(scratch) / 4 {
			part := t.Data[start:min(start+len(scratch)/4, len(t.Data))]
			for i, v := range part {
				binary.LittleEndian.PutUint32(scratch[4*i:], math.Float32bits(v))
			}
			if _, err := w.Write(scratch[:4*len(part)]); err != nil {
				return fmt.Errorf("modelfile: write tensor %q: %w", t.Name, err)
			}
		}
	}
	return nil
}

// WriteFileAtomic writes f to path so that path always holds either its
// previous content or the complete new file, even if the process dies or the
// machine loses power mid-save: it writes a temporary file in the same
// folder, syncs it, renames it over path and syncs the folder. On error the
// temporary file is removed and path is left as it was. A new file gets mode
// 0644; an existing file keeps its mode. See WriteAtomic for the temporary
// files a killed save leaves.
func WriteFileAtomic(path string, f *File) error {
	if f == nil {
		return fmt.Errorf("modelfile: no file to write to %q", path)
	}
	return WriteAtomic(path, func(w io.Writer) error { return Write(w, f) })
}

// WriteAtomic writes what write writes to path atomically, as
// WriteFileAtomic does for a model file; gozoo's other run files (the
// training history) are saved the same way.
//
// The temporary file is ".NAME.tmp-DIGITS" beside path, and on Unix it is
// locked (flock) while it is written. A process killed mid-save leaves its
// temporary file behind, unlocked: after each successful save, WriteAtomic
// removes every ".*.tmp-DIGITS" file in the folder that no process holds
// locked and that was last modified before this save began, so the next
// save in a folder cleans up after a killed one. A save in progress in
// another process holds its lock and is left alone.
func WriteAtomic(path string, write func(io.Writer) error) (err error) {
	if write == nil {
		return fmt.Errorf("modelfile: nothing to write to %q", path)
	}
	start := time.Now()
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	mode := fs.FileMode(0o644)
	if info, statErr := os.Stat(path); statErr == nil {
		mode = info.Mode().Perm()
	}
	tmp, err := os.CreateTemp(dir, "."+base+tempInfix+"*")
	if err != nil {
		return fmt.Errorf("modelfile: create temporary file for %q: %w", path, err)
	}
	closed := false
	defer func() {
		if err != nil {
			if !closed {
				_ = tmp.Close() // already failed; the first error is the one to report
			}
			_ = os.Remove(tmp.Name())
		}
	}()
	lockTemp(tmp) // best effort: without a lock, cleanup leaves the file alone
	if err := write(tmp); err != nil {
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		return fmt.Errorf("modelfile: chmod %q: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("modelfile: sync %q: %w", tmp.Name(), err)
	}
	if !renameOpen {
		closed = true
		if err := tmp.Close(); err != nil {
			return fmt.Errorf("modelfile: close %q: %w", tmp.Name(), err)
		}
	}
	// Where the platform allows it, rename while the file is still open
	// and locked, so no cleanup can take it for a dead save's leftover.
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("modelfile: rename %q to %q: %w", tmp.Name(), path, err)
	}
	if !closed {
		closed = true
		if err := tmp.Close(); err != nil {
			return fmt.Errorf("modelfile: close %q: %w", path, err)
		}
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	RemoveStaleTemps(dir, start)
	return nil
}

// tempInfix separates a target's name from the random digits in the name
// of its temporary file.
const tempInfix = ".tmp-"

// IsTempName reports whether name (a base name) has the form of
// WriteAtomic's temporary files, ".NAME.tmp-DIGITS".
func IsTempName(name string) bool {
	i := strings.LastIndex(name, tempInfix)
	if len(name) < 2 || name[0] != '.' || i < 2 {
		return false
	}
	digits := name[i+len(tempInfix):]
	if digits == "" {
		return false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// RemoveStaleTemps removes the temporary files of saves that died in dir:
// those IsTempName accepts, last modified before since and locked by no
// process (on platforms without file locks it removes nothing). It returns
// the names it removed; errors only mean a file is kept.
func RemoveStaleTemps(dir string, since time.Time) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var removed []string
	for _, e := range entries {
		if !e.Type().IsRegular() || !IsTempName(e.Name()) {
			continue
		}
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(since) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if removeIfUnlocked(path) {
			removed = append(removed, e.Name())
		}
	}
	return removed
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("modelfile: open folder %q: %w", dir, err)
	}
	if err := d.Sync(); err != nil {
		_ = d.Close()
		return fmt.Errorf("modelfile: sync folder %q: %w", dir, err)
	}
	if err := d.Close(); err != nil {
		return fmt.Errorf("modelfile: close folder %q: %w", dir, err)
	}
	return nil
}
