package csvdata

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
)

// hostile is an io.Reader of head followed by pattern repeated until size
// bytes in all, generated as it is read so that a 200 MB input costs
// nothing to hold. It counts the bytes handed out.
type hostile struct {
	head    string
	pattern string
	size    int64
	read    int64
}

func (h *hostile) Read(p []byte) (int, error) {
	if h.read >= h.size {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && h.read < h.size {
		var b byte
		if h.read < int64(len(h.head)) {
			b = h.head[h.read]
		} else {
			b = h.pattern[(h.read-int64(len(h.head)))%int64(len(h.pattern))]
		}
		p[n] = b
		n++
		h.read++
	}
	return n, nil
}

// allocated returns the bytes allocated while f ran.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

const (
	hostileSize = 200 << 20 // each hostile input, in bytes
	allocBudget = 64 << 20  // what Load may allocate refusing one
	maxErrorLen = 200       // longest acceptable error message
)

// TestLoadLimits feeds Load 200 MB inputs that break each limit and checks
// that it stops early, with a short error naming the limit and the place,
// having allocated under 64 MB. Before the limits, the huge header took
// 10 GB and the long cell 1.9 GB, echoed whole into the error.
func TestLoadLimits(t *testing.T) {
	field200 := strings.Repeat("h", 199) + ","
	tests := []struct {
		name    string
		input   *hostile
		line    int
		column  int
		colName string
		mention string
	}{
		{"huge header line", &hostile{pattern: field200}, 1, MaxRowBytes/200 + 1, "",
			"row is longer than 1048576 bytes (MaxRowBytes)"},
		{"header of too many fields", &hostile{pattern: "a,"}, 1, MaxFields + 1, "",
			"row has more than 10000 fields (MaxFields)"},
		{"huge header name", &hostile{pattern: "n"}, 1, 1, "",
			`cell starting "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn" is longer than 65536 bytes (MaxCellBytes)`},
		{"200 MB cell", &hostile{head: "a,y\n1,", pattern: "7"}, 2, 2, "y",
			`cell starting "7777777777777777777777777777777777777777" is longer than 65536 bytes`},
		{"200 MB quoted cell of many lines", &hostile{head: "a,y\n1,\"", pattern: "x\n"}, 1 + MaxCellBytes/2, 2, "y",
			`cell starting "x\nx\nx\n`},
		{"huge data row", &hostile{head: "a,y\n", pattern: field200}, 2, MaxRowBytes/200 + 1, "",
			"row is longer than"},
		{"data row of too many fields", &hostile{head: "a,y\n1,0\n", pattern: ","}, 3, MaxFields + 1, "",
			"more than 10000 fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.input.size = hostileSize
			var err error
			bytes := allocated(func() { _, err = Load(tt.input, "big.csv", Options{}) })
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("error %v, want ErrTooLarge", err)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line != tt.line || pe.Column != tt.column || pe.Name != tt.colName {
				t.Errorf("error at %+v, want line %d column %d %q", pe, tt.line, tt.column, tt.colName)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "csvdata: big.csv line ") || !strings.Contains(msg, tt.mention) || len(msg) > maxErrorLen {
				t.Errorf("error %q (%d bytes): want the file, line and %q in under %d bytes", msg, len(msg), tt.mention, maxErrorLen)
			}
			if bytes > allocBudget {
				t.Errorf("allocated %d MB refusing the input, want under %d MB", bytes>>20, allocBudget>>20)
			}
			if tt.input.read > 2*MaxRowBytes {
				t.Errorf("read %d bytes before refusing, want at most %d", tt.input.read, 2*MaxRowBytes)
			}
		})
	}
}

// TestLoadAtLimits checks that input exactly at each limit loads and one
// byte or field more does not.
func TestLoadAtLimits(t *testing.T) {
	// MaxFields-1 features and a target, in two rows of two classes.
	var names []string
	for i := range MaxFields - 1 {
		names = append(names, fmt.Sprintf("c%d", i))
	}
	ones := strings.Repeat("1,", MaxFields-1)
	widest := strings.Join(names, ",") + ",y\n" + ones + "a\n" + ones + "b\n"

	longClass := strings.Repeat("x", MaxCellBytes)
	longCell := "a,y\n1," + longClass + "\n2,b\n"

	// 17 features of 0...01 and a one-byte target: a row of exactly
	// MaxRowBytes, the line break included, with cells under MaxCellBytes.
	const features = 17
	cell := (MaxRowBytes - 2 - features) / features
	extra := MaxRowBytes - 2 - features - cell*features
	var row, header []string
	for i := range features {
		n := cell
		if i == 0 {
			n += extra
		}
		row = append(row, strings.Repeat("0", n-1)+"1")
		header = append(header, fmt.Sprint("f", i))
	}
	fullRow := strings.Join(row, ",") + ",a\n"
	if len(fullRow) != MaxRowBytes {
		t.Fatalf("test row has %d bytes", len(fullRow))
	}
	longRow := strings.Join(header, ",") + ",y\n" + fullRow + fullRow[:len(fullRow)-3] + ",b\n"

	tests := []struct {
		name   string
		csv    string
		over   string // csv with one byte or field more
		detail string
	}{
		{"fields", widest, "z," + widest, "more than 10000 fields"},
		{"cell", longCell, strings.Replace(longCell, "x", "xx", 1), "longer than 65536 bytes"},
		{"row", longRow, strings.Replace(longRow, ",0", ",00", 1), "longer than 1048576 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table, err := Load(strings.NewReader(tt.csv), "", Options{})
			if err != nil {
				t.Fatalf("at the limit: %.200v", err)
			}
			if table.Len() < 1 || len(table.ClassNames) != 2 {
				t.Errorf("at the limit: %d rows, classes %.80q", table.Len(), table.ClassNames)
			}
			_, err = Load(strings.NewReader(tt.over), "", Options{})
			if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), tt.detail) {
				t.Errorf("over the limit: error %.200v, want ErrTooLarge saying %q", err, tt.detail)
			}
		})
	}
}

// TestErrorsQuoteAPrefix checks that an error quotes at most 40 bytes of a
// bad value or column name.
func TestErrorsQuoteAPrefix(t *testing.T) {
	long := strings.Repeat("z", 60000)
	many := make([]string, 500)
	for i := range many {
		many[i] = fmt.Sprintf("column_%d", i)
	}
	tests := []struct {
		name string
		csv  string
		opts Options
		want string
	}{
		{"long bad number", "a,y\n" + long + ",1\n", Options{}, `: "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"... (60000 bytes) is not a finite number`},
		{"long column name", long + ",y\n,1\n", Options{}, `column 1 "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"... (60000 bytes): missing value ""`},
		{"long regression target", "a,y\n1,0.5\n2," + long + "\n", Options{Task: Regress}, `regression target "zzzzzzzz`},
		{"long unknown target", "a,y\n1,0\n", Options{Target: long}, `no target column "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"... (60000 bytes) among ["a" "y"]`},
		{"many columns", strings.Join(many, ",") + "\n", Options{Target: "nope"}, `"column_8" "column_9" and 490 more]`},
		{"cut at a rune boundary", "a,y\n" + "a" + strings.Repeat("é", 100) + ",1\n", Options{}, `"a` + strings.Repeat("é", 19) + `"... (201 bytes)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(strings.NewReader(tt.csv), "t.csv", tt.opts)
			if err == nil {
				t.Fatal("no error")
			}
			if msg := err.Error(); !strings.Contains(msg, tt.want) || len(msg) > maxErrorLen+100 {
				t.Errorf("error %.300q (%d bytes), want %q in a short message", msg, len(msg), tt.want)
			}
		})
	}
}

func TestLoadOneClass(t *testing.T) {
	tests := []struct {
		name string
		csv  string
		opts Options
		want string
	}{
		{"strings", "a,y\n1,cat\n2,cat\n", Options{}, `csvdata: t.csv column 2 "y": every row has the target "cat": classification needs at least 2 classes`},
		{"integers, auto", "y,a\n3,1\n3,2\n3,3\n", Options{Target: "y"}, `column 1 "y": every row has the target "3"`},
		{"forced", "a,y\n1,0.5\n", Options{Task: Classify}, `"0.5"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(strings.NewReader(tt.csv), "t.csv", tt.opts)
			if !errors.Is(err, ErrOneClass) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want ErrOneClass saying %q", err, tt.want)
			}
		})
	}
	t.Run("a constant regression target loads", func(t *testing.T) {
		table, err := Load(strings.NewReader("a,y\n1,3\n2,3\n"), "", Options{Task: Regress})
		if err != nil || table.Len() != 2 {
			t.Errorf("got %v, %v", table, err)
		}
	})
}
