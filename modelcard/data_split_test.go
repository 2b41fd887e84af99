package modelcard

import (
	"strings"
	"testing"
)

// A split that leaves a part too small is an error naming the split, its
// fraction and the rows each part would get.
func TestSplitTooSmall(t *testing.T) {
	for _, tc := range []struct {
		split, val float64
		want       string
	}{
		{0.99, 0, "test split 0.99 of the 150 rows leaves 1 for training and 149 for testing; each needs at least 2 rows"},
		{0.2, 0.01, "validation split 0.01 of the 120 training rows leaves 119 for training and 1 for validation"},
		{0.2, 0.995, "validation split 0.995 of the 120 training rows leaves 1 for training and 119 for validation"},
	} {
		c, err := Table(TableSource{CSV: "iris", Split: tc.split, ValSplit: tc.val})
		if err == nil {
			_, err = c.Data("")
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("split %v, val %v: %v, want %q", tc.split, tc.val, err, tc.want)
		}
	}
}
