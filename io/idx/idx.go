package idx

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
)

// MaxDataBytes is the largest data section Read accepts (1 GiB). It is far
// above any dataset in the MNIST family and keeps a corrupt header from
// causing a huge allocation.
const MaxDataBytes = 1 << 30

// MaxDims is the largest number of dimensions Read accepts.
const MaxDims = 4

// TypeUnsignedByte is the IDX type code for unsigned bytes, the only type
// this package reads.
const TypeUnsignedByte = 0x08

// maxDeflateRatio bounds how much deflate can expand its input (the format's
// limit is about 1032:1); a gzip file of n bytes cannot decompress to more
// than maxDeflateRatio*n bytes.
const maxDeflateRatio = 1032

// growChunk is the first buffer size when the declared size cannot be
// trusted, and the step by which the buffer then grows at least.
const growChunk = 1 << 16

// Read decodes the IDX file held in r, which is size bytes long. The file may
// be raw or gzip-compressed (detected by the gzip magic bytes 0x1f 0x8b). It
// returns the dimensions, outermost first, and the data in row-major order;
// len(data) is the product of dims.
func Read(r io.ReaderAt, size int64) (dims []int, data []uint8, err error) {
	return read(r, size, "")
}

// ReadFile reads the IDX file at path, raw or gzip-compressed. Errors name
// the file.
func ReadFile(path string) (dims []int, data []uint8, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("idx: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("idx: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("idx: %s: not a regular file", path)
	}
	return read(f, info.Size(), filepath.Base(path))
}

// reader carries the file name for error messages.
type reader struct {
	name string
}

// prefix is the start of every error message: the package and file name.
func (d reader) prefix() string {
	if d.name == "" {
		return "idx: "
	}
	return "idx: " + d.name + ": "
}

// errorf reports a malformed or unsupported file.
func (d reader) errorf(format string, args ...any) error {
	return errors.New(d.prefix() + fmt.Sprintf(format, args...))
}

// wrap reports an error from the underlying reader or decompressor.
func (d reader) wrap(what string, err error) error {
	return fmt.Errorf("%s%s: %w", d.prefix(), what, err)
}

func read(r io.ReaderAt, size int64, name string) ([]int, []uint8, error) {
	d := reader{name: name}
	if size < 0 {
		return nil, nil, d.errorf("negative file size %d", size)
	}
	var magic [2]byte
	if size >= 2 {
		if err := readAt(r, magic[:], 0); err != nil {
			return nil, nil, d.wrap("read", err)
		}
	}
	if magic == [2]byte{0x1f, 0x8b} {
		return d.readGzip(r, size)
	}
	return d.readRaw(r, size)
}

// readRaw decodes an uncompressed file, whose size bounds the data exactly.
func (d reader) readRaw(r io.ReaderAt, size int64) ([]int, []uint8, error) {
	br := bufio.NewReader(io.NewSectionReader(r, 0, size))
	dims, n, hdr, err := d.header(br)
	if err != nil {
		return nil, nil, err
	}
	if got := size - hdr; got != n {
		return nil, nil, d.sizeErr(n, got)
	}
	data := make([]uint8, n)
	if _, err := io.ReadFull(br, data); err != nil {
		return nil, nil, d.wrap("read data", err)
	}
	return dims, data, nil
}

// readGzip decodes a gzip-compressed file. The gzip trailer's ISIZE field
// (uncompressed size mod 2^32) and the deflate expansion limit bound the
// allocation; the data is then read with checks for truncation and for
// bytes after it.
func (d reader) readGzip(r io.ReaderAt, size int64) ([]int, []uint8, error) {
	if size < 18 { // 10-byte header + 8-byte trailer
		return nil, nil, d.errorf("gzip file of %d bytes is too short", size)
	}
	var trailer [4]byte
	if err := readAt(r, trailer[:], size-4); err != nil {
		return nil, nil, d.wrap("read gzip trailer", err)
	}
	isize := int64(binary.LittleEndian.Uint32(trailer[:]))

	br := bufio.NewReader(io.NewSectionReader(r, 0, size))
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, nil, d.wrap("decompress", err)
	}
	// One member only, so that the trailer read above belongs to the
	// stream being decoded.
	zr.Multistream(false)
	zbr := bufio.NewReader(zr)
	dims, n, hdr, err := d.header(zbr)
	if err != nil {
		return nil, nil, err
	}
	// Trust the declared size for the first allocation only when the
	// trailer agrees and deflate could have produced that much.
	capacity := int64(growChunk)
	if hdr+n == isize && hdr+n <= maxDeflateRatio*size {
		capacity = n
	}
	data, err := readGrowing(zbr, n, capacity)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, nil, d.sizeErr(n, int64(len(data)))
		}
		return nil, nil, d.wrap("decompress", err)
	}
	extra, err := io.Copy(io.Discard, zbr)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, nil, d.errorf("truncated gzip stream")
	}
	if err != nil {
		return nil, nil, d.wrap("decompress", err)
	}
	if extra > 0 {
		return nil, nil, d.sizeErr(n, n+extra)
	}
	rest, err := io.Copy(io.Discard, br)
	if err != nil {
		return nil, nil, d.wrap("read", err)
	}
	if rest > 0 {
		return nil, nil, d.errorf("%d bytes after the gzip stream", rest)
	}
	return dims, data, nil
}

// readAt fills buf from offset off. Unlike a bare ReadAt it accepts io.EOF
// when buf was filled, which ReaderAt implementations may return at the end.
func readAt(r io.ReaderAt, buf []byte, off int64) error {
	n, err := r.ReadAt(buf, off)
	if n == len(buf) {
		return nil
	}
	return err
}

// readGrowing reads exactly n bytes from r into a buffer that starts with the
// given capacity and grows as data arrives, so a false n costs at most about
// twice the bytes actually present. On a short read it returns what it got
// with io.EOF or io.ErrUnexpectedEOF.
func readGrowing(r io.Reader, n, capacity int64) ([]uint8, error) {
	data := make([]uint8, 0, min(n, capacity))
	for int64(len(data)) < n {
		if len(data) == cap(data) {
			grow := max(int64(cap(data)), growChunk)
			data = slices.Grow(data, int(min(grow, n-int64(len(data)))))
		}
		m, err := io.ReadFull(r, data[len(data):min(int64(cap(data)), n)])
		data = data[:len(data)+m]
		if err != nil {
			return data, err
		}
	}
	return data, nil
}

// header reads and checks the magic and dimensions. It returns the
// dimensions, the data size they declare and the header length.
func (d reader) header(r io.Reader) (dims []int, n, hdr int64, err error) {
	var magic [4]byte
	if _, err := io.ReadFull(r, magic[:]); err != nil {
		return nil, 0, 0, d.headerErr(err)
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, 0, 0, d.errorf("bad magic % x: want two zero bytes, a type and a dimension count", magic)
	}
	if t := magic[2]; t != TypeUnsignedByte {
		if tn := typeName(t); tn != "" {
			return nil, 0, 0, d.errorf("data type 0x%02x (%s) is not supported: only 0x08 (unsigned byte) is", t, tn)
		}
		return nil, 0, 0, d.errorf("unknown data type 0x%02x: only 0x08 (unsigned byte) is supported", t)
	}
	nd := int(magic[3])
	if nd < 1 || nd > MaxDims {
		return nil, 0, 0, d.errorf("%d dimensions: want 1 to %d", nd, MaxDims)
	}
	var raw [4 * MaxDims]byte
	if _, err := io.ReadFull(r, raw[:4*nd]); err != nil {
		return nil, 0, 0, d.headerErr(err)
	}
	dims = make([]int, nd)
	n = 1
	for i := range dims {
		v := int64(binary.BigEndian.Uint32(raw[4*i:]))
		if v == 0 {
			return nil, 0, 0, d.errorf("dimension %d is zero", i)
		}
		// n <= MaxDataBytes and v < 2^32, so n*v cannot overflow int64.
		if n*v > MaxDataBytes {
			return nil, 0, 0, d.errorf("dimensions %v declare more than %d bytes of data", decodeDims(raw[:4*nd]), MaxDataBytes)
		}
		n *= v
		dims[i] = int(v)
	}
	return dims, n, int64(4 + 4*nd), nil
}

func decodeDims(raw []byte) []uint32 {
	out := make([]uint32, len(raw)/4)
	for i := range out {
		out[i] = binary.BigEndian.Uint32(raw[4*i:])
	}
	return out
}

func (d reader) headerErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return d.errorf("truncated header")
	}
	return d.wrap("read header", err)
}

// sizeErr reports data of the wrong length.
func (d reader) sizeErr(want, got int64) error {
	if got < want {
		return d.errorf("truncated: want %d bytes of data, got %d", want, got)
	}
	return d.errorf("%d trailing bytes after %d bytes of data", got-want, want)
}

// typeName names the IDX type codes other than unsigned byte.
func typeName(t byte) string {
	switch t {
	case 0x09:
		return "signed byte"
	case 0x0B:
		return "int16"
	case 0x0C:
		return "int32"
	case 0x0D:
		return "float32"
	case 0x0E:
		return "float64"
	}
	return ""
}
