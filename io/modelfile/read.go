package modelfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"math/bits"
	"os"
	"sort"
	"strconv"
	"strings"
)

// knownDtype reports whether dtype is a safetensors dtype other than F32,
// named in errors as unsupported rather than unknown.
func knownDtype(dtype string) bool {
	switch dtype {
	case "BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16",
		"I32", "U32", "F64", "I64", "U64":
		return true
	}
	return false
}

// span is one tensor's header entry after validation.
type span struct {
	name       string
	int8       bool // dtype I8 rather than F32
	shape      []int
	begin, end uint64 // relative to the data buffer
	index      int    // position in header order
}

// ReadFile reads and validates the model file at path. See Read.
func ReadFile(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("modelfile: %w", err)
	}
	defer fh.Close() // read-only: a close error loses nothing
	info, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("modelfile: %w", err)
	}
	f, err := Read(fh, info.Size())
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return f, nil
}

// ReadMetadata reads the metadata of the model file at path from its
// header alone, checked as Read checks it (structure, offsets, version) but
// without reading the tensors or verifying the checksum: a cheap look at a
// file's epoch or kind. Read the whole file to trust its data.
func ReadMetadata(path string) (map[string]string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("modelfile: %w", err)
	}
	defer fh.Close() // read-only: a close error loses nothing
	info, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("modelfile: %w", err)
	}
	meta, _, _, err := readHeader(fh, info.Size())
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return meta, nil
}

// readHeader reads and checks the header of a file of size bytes; it
// returns the metadata, the tensor spans and the header length.
func readHeader(r io.ReaderAt, size int64) (map[string]string, []span, uint64, error) {
	if size < 8 {
		return nil, nil, 0, newError(ErrCorrupt, "file is %d bytes, shorter than the 8-byte header length", size)
	}
	var prefix [8]byte
	if err := readAt(r, prefix[:], 0); err != nil {
		return nil, nil, 0, err
	}
	n := binary.LittleEndian.Uint64(prefix[:])
	if n > MaxHeaderLen {
		return nil, nil, 0, newError(ErrCorrupt, "header length %d exceeds the limit of %d bytes", n, MaxHeaderLen)
	}
	if n > uint64(size-8) {
		return nil, nil, 0, newError(ErrCorrupt, "header length %d runs past the end of the %d-byte file", n, size)
	}
	header := make([]byte, n)
	if err := readAt(r, header, 8); err != nil {
		return nil, nil, 0, err
	}
	bufLen := uint64(size) - 8 - n
	meta, spans, err := parseHeader(header, bufLen)
	if err != nil {
		return nil, nil, 0, err
	}
	if err := checkVersion(meta); err != nil {
		return nil, nil, 0, err
	}
	if err := checkTiling(spans, bufLen); err != nil {
		return nil, nil, 0, err
	}
	return meta, spans, n, nil
}

// Read reads and validates a model file of size bytes from r.
//
// Structural errors wrap ErrCorrupt, a malformed or wrong checksum wraps
// ErrChecksum, and a non-F32 dtype or a format_version newer than
// FormatVersion wraps ErrUnsupported. A file without checksum metadata (one
// written by another safetensors tool, say) is accepted; so is one whose
// "format" is not "gozoo", whose format_version is then not checked.
func Read(r io.ReaderAt, size int64) (*File, error) {
	meta, spans, n, err := readHeader(r, size)
	if err != nil {
		return nil, err
	}
	bufLen := uint64(size) - 8 - n
	want, hasSum := meta[KeyChecksum]
	var sum hash.Hash
	if hasSum {
		sum = sha256.New()
	}
	f := &File{Metadata: meta, Tensors: make([]Tensor, len(spans))}
	scratch := make([]byte, 4*max(1, min(uint64(chunkValues), bufLen/4)))
	for _, s := range spans { // offset order, so hashing sees the buffer in order
		if s.int8 {
			data, err := readInt8(r, int64(8+n), s, sum)
			if err != nil {
				return nil, err
			}
			f.Tensors[s.index] = Tensor{Name: s.name, Shape: s.shape, Int8: data}
			continue
		}
		data, err := readTensor(r, int64(8+n), s, scratch, sum)
		if err != nil {
			return nil, err
		}
		f.Tensors[s.index] = Tensor{Name: s.name, Shape: s.shape, Data: data}
	}
	if hasSum {
		if err := checkChecksum(want, sum.Sum(nil)); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// readAt fills p from r at off; running out of data means the size the
// caller gave is larger than the file, which is corruption too. A full read
// that also reports io.EOF is a success, as io.ReaderAt allows.
func readAt(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	switch {
	case n == len(p):
		return nil
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return newError(ErrCorrupt, "file ends early: reading %d bytes at offset %d: %v", len(p), off, err)
	default:
		return fmt.Errorf("modelfile: read %d bytes at offset %d: %w", len(p), off, err)
	}
}

// readTensor reads s's bytes from r (the buffer starts at base), feeding them
// to sum when it is not nil, and decodes them.
func readTensor(r io.ReaderAt, base int64, s span, scratch []byte, sum hash.Hash) ([]float32, error) {
	data := make([]float32, (s.end-s.begin)/4) // bounded by the checked file size
	for done := 0; done < len(data); {
		part := scratch[:4*min(len(scratch)/4, len(data)-done)]
		if err := readAt(r, part, base+int64(s.begin)+int64(4*done)); err != nil {
			return nil, err
		}
		if sum != nil {
			sum.Write(part) // hash.Hash writes never fail
		}
		for i := range len(part) / 4 {
			data[done+i] = math.Float32frombits(binary.LittleEndian.Uint32(part[4*i:]))
		}
		done += len(part) / 4
	}
	return data, nil
}

// readInt8 reads an I8 tensor's bytes, feeding them to sum when it is not
// nil.
func readInt8(r io.ReaderAt, base int64, s span, sum hash.Hash) ([]int8, error) {
	raw := make([]byte, s.end-s.begin) // bounded by the checked file size
	if err := readAt(r, raw, base+int64(s.begin)); err != nil {
		return nil, err
	}
	if sum != nil {
		sum.Write(raw)
	}
	data := make([]int8, len(raw))
	for i, b := range raw {
		data[i] = int8(b)
	}
	return data, nil
}

// parseHeader walks the JSON header token by token, which is how duplicate
// keys (that json.Unmarshal would silently merge) are caught.
func parseHeader(header []byte, bufLen uint64) (map[string]string, []span, error) {
	if len(header) == 0 || header[0] != '{' {
		return nil, nil, newError(ErrCorrupt, "header is not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(header))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil {
		return nil, nil, headerSyntax(err)
	}
	meta := map[string]string{}
	var spans []span
	seen := map[string]bool{}
	for dec.More() {
		name, err := nextKey(dec)
		if err != nil {
			return nil, nil, err
		}
		if seen[name] {
			return nil, nil, newError(ErrCorrupt, "duplicate header key %q", name)
		}
		seen[name] = true
		if name == metadataKey {
			if meta, err = parseMetadata(dec); err != nil {
				return nil, nil, err
			}
			continue
		}
		s, err := parseTensor(dec, name, bufLen)
		if err != nil {
			return nil, nil, err
		}
		s.index = len(spans)
		spans = append(spans, s)
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, nil, headerSyntax(err)
	}
	if tok, err := dec.Token(); err != io.EOF {
		return nil, nil, newError(ErrCorrupt, "header has content after the JSON object (%v, %v)", tok, err)
	}
	return meta, spans, nil
}

// headerSyntax reports malformed JSON.
func headerSyntax(err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return newError(ErrCorrupt, "header is not valid JSON: %v", err)
}

// nextKey reads an object key; inside an object the decoder yields only
// string keys (anything else is a syntax error).
func nextKey(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", headerSyntax(err)
	}
	return tok.(string), nil
}

// expectDelim reads the next token and checks that it is d.
func expectDelim(dec *json.Decoder, d json.Delim, what string) error {
	tok, err := dec.Token()
	if err != nil {
		return headerSyntax(err)
	}
	if tok != d {
		return newError(ErrCorrupt, "%s: want %q, got %v", what, d, tok)
	}
	return nil
}

// parseMetadata reads the "__metadata__" object: string keys, string values.
func parseMetadata(dec *json.Decoder) (map[string]string, error) {
	if err := expectDelim(dec, '{', metadataKey+" is not an object"); err != nil {
		return nil, err
	}
	meta := map[string]string{}
	for dec.More() {
		key, err := nextKey(dec)
		if err != nil {
			return nil, err
		}
		if _, dup := meta[key]; dup {
			return nil, newError(ErrCorrupt, "duplicate metadata key %q", key)
		}
		tok, err := dec.Token()
		if err != nil {
			return nil, headerSyntax(err)
		}
		value, ok := tok.(string)
		if !ok {
			return nil, newError(ErrCorrupt, "metadata %q is %v, not a string", key, tok)
		}
		meta[key] = value
	}
	_, err := dec.Token()
	if err != nil {
		return nil, headerSyntax(err)
	}
	return meta, nil
}

// parseTensor reads one tensor entry and checks it on its own: fields,
// dtype, shape, offsets within the buffer, and byte count.
func parseTensor(dec *json.Decoder, name string, bufLen uint64) (span, error) {
	s := span{name: name}
	if name == "" {
		return s, newError(ErrCorrupt, "empty tensor name")
	}
	if err := expectDelim(dec, '{', fmt.Sprintf("tensor %q is not an object", name)); err != nil {
		return s, err
	}
	var dtype string
	var dims, offsets []uint64
	got := map[string]bool{}
	for dec.More() {
		field, err := nextKey(dec)
		if err != nil {
			return s, err
		}
		if got[field] {
			return s, newError(ErrCorrupt, "tensor %q: duplicate field %q", name, field)
		}
		got[field] = true
		switch field {
		case "dtype":
			var tok json.Token
			if tok, err = dec.Token(); err != nil {
				return s, headerSyntax(err)
			}
			var ok bool
			if dtype, ok = tok.(string); !ok {
				return s, newError(ErrCorrupt, "tensor %q: dtype is %v, not a string", name, tok)
			}
		case "shape":
			dims, err = parseNaturals(dec, name, field)
		case "data_offsets":
			offsets, err = parseNaturals(dec, name, field)
		default:
			return s, newError(ErrCorrupt, "tensor %q: unknown field %q", name, field)
		}
		if err != nil {
			return s, err
		}
	}
	if _, err := dec.Token(); err != nil {
		return s, headerSyntax(err)
	}
	for _, field := range []string{"dtype", "shape", "data_offsets"} {
		if !got[field] {
			return s, newError(ErrCorrupt, "tensor %q: missing field %q", name, field)
		}
	}
	if dtype != dtypeF32 && dtype != dtypeI8 {
		if knownDtype(dtype) {
			return s, newError(ErrUnsupported, "tensor %q: unsupported dtype %q (gozoo stores %s and %s only)", name, dtype, dtypeF32, dtypeI8)
		}
		return s, newError(ErrUnsupported, "tensor %q: unknown dtype %q", name, dtype)
	}
	s.int8 = dtype == dtypeI8
	size := uint64(4)
	if s.int8 {
		size = 1
	}
	if len(offsets) != 2 {
		return s, newError(ErrCorrupt, "tensor %q: data_offsets has %d values, want 2", name, len(offsets))
	}
	s.begin, s.end = offsets[0], offsets[1]
	if s.begin > s.end {
		return s, newError(ErrCorrupt, "tensor %q: data_offsets [%d, %d] begin after end", name, s.begin, s.end)
	}
	if s.end > bufLen {
		return s, newError(ErrCorrupt, "tensor %q: data_offsets [%d, %d] out of range of the %d-byte data buffer", name, s.begin, s.end, bufLen)
	}
	count := uint64(1)
	s.shape = make([]int, len(dims))
	for i, d := range dims {
		hi, lo := bits.Mul64(count, d)
		// A dimension above MaxInt can hide behind a zero dimension that
		// keeps the product at 0, so it is checked on its own.
		if hi != 0 || lo > math.MaxInt/4 || d > math.MaxInt {
			return s, newError(ErrCorrupt, "tensor %q: shape %v overflows", name, dims)
		}
		count = lo
		s.shape[i] = int(d)
	}
	if size*count != s.end-s.begin {
		return s, newError(ErrCorrupt, "tensor %q: shape %v needs %d bytes, data_offsets [%d, %d] span %d", name, dims, size*count, s.begin, s.end, s.end-s.begin)
	}
	return s, nil
}

// parseNaturals reads a JSON array of non-negative integers.
func parseNaturals(dec *json.Decoder, name, field string) ([]uint64, error) {
	what := fmt.Sprintf("tensor %q: %s is not an array", name, field)
	if err := expectDelim(dec, '[', what); err != nil {
		return nil, err
	}
	var out []uint64
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, headerSyntax(err)
		}
		num, ok := tok.(json.Number)
		if !ok {
			return nil, newError(ErrCorrupt, "tensor %q: %s holds %v, not a number", name, field, tok)
		}
		v, err := strconv.ParseUint(num.String(), 10, 64)
		if err != nil {
			if strings.HasPrefix(num.String(), "-") {
				return nil, newError(ErrCorrupt, "tensor %q: %s holds negative value %s", name, field, num)
			}
			return nil, newError(ErrCorrupt, "tensor %q: %s holds %s, not a non-negative 64-bit integer", name, field, num)
		}
		out = append(out, v)
	}
	if _, err := dec.Token(); err != nil {
		return nil, headerSyntax(err)
	}
	return out, nil
}

// checkTiling checks that the spans cover [0, bufLen) exactly once: no
// overlap, no gap, no trailing bytes. The spans may come in any order; on
// return they are sorted by offset.
func checkTiling(spans []span, bufLen uint64) error {
	sort.Slice(spans, func(i, j int) bool {
		a, b := spans[i], spans[j]
		return a.begin < b.begin || (a.begin == b.begin && a.end < b.end)
	})
	var pos uint64
	for i, s := range spans {
		switch {
		case s.begin < pos:
			return newError(ErrCorrupt, "tensor %q at [%d, %d] overlaps tensor %q at [%d, %d]",
				s.name, s.begin, s.end, spans[i-1].name, spans[i-1].begin, spans[i-1].end)
		case s.begin > pos:
			return newError(ErrCorrupt, "gap of %d bytes at offset %d before tensor %q", s.begin-pos, pos, s.name)
		}
		pos = s.end
	}
	if pos != bufLen {
		return newError(ErrCorrupt, "%d trailing bytes after the last tensor (data buffer is %d bytes, tensors cover %d)", bufLen-pos, bufLen, pos)
	}
	return nil
}

// checkVersion rejects gozoo files newer than this reader. Files from other
// writers (format "pt", or none) carry no gozoo version and pass.
func checkVersion(meta map[string]string) error {
	if meta[KeyFormat] != FormatName {
		return nil
	}
	raw, ok := meta[KeyFormatVersion]
	if !ok {
		return newError(ErrCorrupt, "format %q without %s", FormatName, KeyFormatVersion)
	}
	v, err := strconv.Atoi(raw)
	if err != nil || v < 1 {
		return newError(ErrCorrupt, "%s %q is not a positive integer", KeyFormatVersion, raw)
	}
	if v > FormatVersion {
		return newError(ErrUnsupported, "%s %d is newer than this reader's %d", KeyFormatVersion, v, FormatVersion)
	}
	return nil
}

// checkChecksum compares the "checksum" metadata value with the data's SHA-256.
func checkChecksum(want string, sum []byte) error {
	hexWant, ok := strings.CutPrefix(want, "sha256:")
	if !ok || len(hexWant) != 2*sha256.Size {
		return newError(ErrChecksum, "checksum %q is not \"sha256:\" and 64 hex digits", want)
	}
	got := hex.EncodeToString(sum)
	if !strings.EqualFold(hexWant, got) {
		return newError(ErrChecksum, "checksum mismatch: header says %s, data hashes to sha256:%s", want, got)
	}
	return nil
}
