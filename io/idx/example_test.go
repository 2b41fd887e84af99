package idx_test

import (
	"bytes"
	"fmt"

	"github.com/gozoo/gozoo/io/idx"
)

func Example() {
	// Two 2x3 "images".
	var file bytes.Buffer
	pixels := []uint8{0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15}
	if err := idx.Write(&file, []int{2, 2, 3}, pixels); err != nil {
		fmt.Println(err)
		return
	}

	dims, data, err := idx.Read(bytes.NewReader(file.Bytes()), int64(file.Len()))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(dims, data[6:])

	// A header that promises more than the file holds is refused.
	_, _, err = idx.Read(bytes.NewReader(file.Bytes()[:20]), 20)
	fmt.Println(err)
	// Output:
	// [2 2 3] [10 11 12 13 14 15]
	// idx: truncated: want 12 bytes of data, got 4
}
