package idx

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Write encodes data with the given dimensions as an uncompressed
// unsigned-byte IDX file. It accepts exactly what Read accepts: 1 to MaxDims
// positive dimensions whose product is len(data) and at most MaxDataBytes.
func Write(w io.Writer, dims []int, data []uint8) error {
	if len(dims) < 1 || len(dims) > MaxDims {
		return fmt.Errorf("idx: write: %d dimensions: want 1 to %d", len(dims), MaxDims)
	}
	hdr := make([]byte, 4+4*len(dims))
	hdr[2] = TypeUnsignedByte
	hdr[3] = byte(len(dims))
	n := int64(1)
	for i, v := range dims {
		if v <= 0 || int64(v) > MaxDataBytes || n*int64(v) > MaxDataBytes {
			return fmt.Errorf("idx: write: dimensions %v: each must be positive and their product at most %d", dims, MaxDataBytes)
		}
		n *= int64(v)
		binary.BigEndian.PutUint32(hdr[4+4*i:], uint32(v))
	}
	if int64(len(data)) != n {
		return fmt.Errorf("idx: write: dimensions %v want %d bytes of data, got %d", dims, n, len(data))
	}
	if _, err := w.Write(hdr); err != nil {
		return fmt.Errorf("idx: write: %w", err)
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("idx: write: %w", err)
	}
	return nil
}
