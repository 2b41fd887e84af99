package serve

import (
	"testing"
)

// A batch is cut to a power of two rows when a prefix of its jobs has
// exactly that many; the rest runs first in the next batch, and a job is
// carried over at most once.
func TestTrimToPowerOfTwo(t *testing.T) {
	tests := []struct {
		name    string
		rows    []int
		carried []bool // nil: none carried before
		keep    int    // jobs kept
	}{
		{"one job", []int{3}, nil, 1},
		{"a power of two", []int{1, 1, 1, 1}, nil, 4},
		{"five singles run four", []int{1, 1, 1, 1, 1}, nil, 4},
		{"seven singles run four", []int{1, 1, 1, 1, 1, 1, 1}, nil, 4},
		{"no exact prefix", []int{3, 3}, nil, 2},
		{"exact prefix of mixed", []int{2, 2, 1}, nil, 2},
		{"a carried job stays", []int{1, 1, 1, 1, 1}, []bool{false, false, false, false, true}, 5},
		{"carried jobs at the front", []int{1, 1, 1}, []bool{true, false, false}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := &batcher{}
			var batch []*job
			total := 0
			for i, r := range tc.rows {
				j := &job{rows: r}
				if tc.carried != nil {
					j.carried = tc.carried[i]
				}
				batch = append(batch, j)
				total += r
			}
			kept, rows := b.trim(batch, total)
			want := 0
			for _, r := range tc.rows[:tc.keep] {
				want += r
			}
			if len(kept) != tc.keep || rows != want || len(b.carry) != len(tc.rows)-tc.keep {
				t.Fatalf("kept %d jobs (%d rows), carried %d; want %d jobs (%d rows)", len(kept), rows, len(b.carry), tc.keep, want)
			}
			for i, j := range b.carry {
				if j != batch[tc.keep+i] || !j.carried {
					t.Errorf("carried job %d is not the batch's job %d, marked carried", i, tc.keep+i)
				}
			}
			if tc.keep < len(tc.rows) && rows&(rows-1) != 0 {
				t.Errorf("a cut batch has %d rows, not a power of two", rows)
			}
		})
	}
}
