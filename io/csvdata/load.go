package csvdata

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Sentinel errors, wrapped by *ParseError, that callers may branch on with
// errors.Is.
var (
	ErrEmpty           = errors.New("csvdata: empty file")
	ErrDuplicateHeader = errors.New("csvdata: duplicate column name")
	ErrUnknownTarget   = errors.New("csvdata: unknown target column")
	ErrRaggedRow       = errors.New("csvdata: ragged row")
	ErrMissingValue    = errors.New("csvdata: missing value")
	ErrNotNumeric      = errors.New("csvdata: not a number")
	// ErrTooLarge reports a row, cell or field count above MaxRowBytes,
	// MaxCellBytes or MaxFields.
	ErrTooLarge = errors.New("csvdata: input above a size limit")
	// ErrOneClass reports a classification target that holds a single
	// class: nothing to tell apart.
	ErrOneClass = errors.New("csvdata: single-class target")
)

// ParseError reports a problem at a line and column of a CSV file.
type ParseError struct {
	Source string // the name given to Load, may be empty
	Line   int    // 1-based line number; line 1 is the header; 0 when no line is at fault
	Column int    // 1-based column number, 0 when no single column is at fault
	Name   string // the column's header name, when Column > 0 and it has one
	Err    error  // one of the sentinel errors, or an encoding/csv error
	Detail string
}

func (e *ParseError) Error() string {
	var at []string
	if e.Source != "" {
		at = append(at, e.Source+" ")
	}
	if e.Line > 0 {
		at = append(at, fmt.Sprintf("line %d, ", e.Line))
	}
	if e.Column > 0 {
		col := fmt.Sprintf("column %d", e.Column)
		if e.Name != "" {
			col += " " + quote(e.Name)
		}
		at = append(at, col)
	}
	where := strings.TrimSuffix(strings.TrimSuffix(strings.Join(at, ""), " "), ",")
	return "csvdata: " + where + ": " + e.Detail
}

func (e *ParseError) Unwrap() error { return e.Err }

// Task says what the target column holds.
type Task int

const (
	// Auto, in Options, picks the task from the target values: Classify when
	// some value is not a number, or when all are integers with at most
	// MaxAutoClasses distinct values; Regress otherwise.
	Auto Task = iota
	// Classify maps the distinct target values to class indices.
	Classify
	// Regress parses the target values as real numbers.
	Regress
)

// MaxAutoClasses is the largest number of distinct integer targets that Auto
// takes for classes.
const MaxAutoClasses = 20

// String returns "auto", "classify" or "regress".
func (t Task) String() string {
	switch t {
	case Auto:
		return "auto"
	case Classify:
		return "classify"
	case Regress:
		return "regress"
	}
	return fmt.Sprintf("Task(%d)", int(t))
}

// ParseTask parses the names that String returns.
func ParseTask(s string) (Task, error) {
	for _, t := range []Task{Auto, Classify, Regress} {
		if s == t.String() {
			return t, nil
		}
	}
	return Auto, fmt.Errorf("csvdata: unknown task %s, want auto, classify or regress", quote(s))
}

// Options control Load. The zero value takes the last column as an automatic
// target.
type Options struct {
	// Target is the header name of the target column; "" means the last column.
	Target string
	// Task says how to read the target; Auto picks it from the values.
	Task Task
}

// Table is a loaded CSV file: numeric features and one target per row.
type Table struct {
	// FeatureNames are the header names of the feature columns, in file order.
	FeatureNames []string
	// TargetName is the header name of the target column.
	TargetName string
	// Task is Classify or Regress.
	Task Task
	// X holds the features, row-major: Len() rows of len(FeatureNames) values.
	X []float64
	// Labels are class indices in [0, len(ClassNames)) (Classify only).
	Labels []int
	// ClassNames are the distinct target values, in class index order: sorted
	// numerically when all are numbers, else as strings (Classify only).
	ClassNames []string
	// Y are the targets (Regress only).
	Y []float64
}

// Len returns the number of rows.
func (t *Table) Len() int {
	if len(t.FeatureNames) == 0 {
		return 0
	}
	return len(t.X) / len(t.FeatureNames)
}

// Row returns the features of row i, sharing X's memory.
func (t *Table) Row(i int) []float64 {
	f := len(t.FeatureNames)
	return t.X[i*f : (i+1)*f]
}

// validate reports a table whose fields disagree, as a hand-built one may.
func (t *Table) validate() error {
	n := t.Len()
	switch {
	case len(t.X) != n*len(t.FeatureNames):
		return fmt.Errorf("csvdata: table has %d feature values for %d features", len(t.X), len(t.FeatureNames))
	case t.Task == Classify && len(t.Labels) != n:
		return fmt.Errorf("csvdata: table has %d labels for %d rows", len(t.Labels), n)
	case t.Task == Regress && len(t.Y) != n:
		return fmt.Errorf("csvdata: table has %d targets for %d rows", len(t.Y), n)
	case t.Task != Classify && t.Task != Regress:
		return fmt.Errorf("csvdata: table task is %v, want classify or regress", t.Task)
	}
	for i, l := range t.Labels {
		if l < 0 || l >= len(t.ClassNames) {
			return fmt.Errorf("csvdata: row %d has label %d, want [0, %d)", i, l, len(t.ClassNames))
		}
	}
	return nil
}

// Load reads a CSV file with a header row. name labels error messages (a file
// name, say) and may be empty. Every column other than the target must hold
// finite numbers; empty cells and NA, N/A, NaN or null (any case) are missing
// values, and an error names the line and column of the first one. A
// classification target must hold at least two classes (ErrOneClass). Rows,
// cells and field counts above MaxRowBytes, MaxCellBytes and MaxFields are
// refused as they are read (ErrTooLarge), and an error quotes at most the
// first 40 bytes of a bad value.
func Load(r io.Reader, name string, opts Options) (*Table, error) {
	if opts.Task < Auto || opts.Task > Regress {
		return nil, fmt.Errorf("csvdata: unknown task %v", opts.Task)
	}
	g := newGuard(r)
	cr := csv.NewReader(g)
	cr.FieldsPerRecord = -1 // ragged rows get our own error, naming the column
	fail := func(line, col int, header []string, err error, format string, args ...any) error {
		e := &ParseError{Source: name, Line: line, Column: col, Err: err, Detail: fmt.Sprintf(format, args...)}
		if col > 0 && col <= len(header) {
			e.Name = header[col-1]
		}
		return e
	}

	// A limit error wins over what csv made of the truncated row it saw.
	readFailure := func(header []string, err error) error {
		if g.err != nil {
			e := *g.err
			e.Source = name
			if e.Column <= len(header) {
				e.Name = header[e.Column-1]
			}
			return &e
		}
		return readError(name, err)
	}

	header, err := cr.Read()
	if err == io.EOF {
		return nil, fail(1, 0, nil, ErrEmpty, "empty file, want a header row")
	}
	if err != nil {
		return nil, readFailure(nil, err)
	}
	header = slices.Clone(header)
	header[0] = strings.TrimPrefix(header[0], "\ufeff") // a UTF-8 byte order mark
	seen := make(map[string]int, len(header))
	for i := range header {
		header[i] = strings.TrimSpace(header[i])
		if header[i] == "" {
			return nil, fail(1, i+1, nil, ErrMissingValue, "empty column name")
		}
		if j, dup := seen[header[i]]; dup {
			return nil, fail(1, i+1, header, ErrDuplicateHeader, "column name also used by column %d", j+1)
		}
		seen[header[i]] = i
	}
	target := len(header) - 1
	if opts.Target != "" {
		var ok bool
		if target, ok = seen[opts.Target]; !ok {
			return nil, fail(1, 0, header, ErrUnknownTarget, "no target column %s among %s", quote(opts.Target), quoteList(header))
		}
	}
	if len(header) < 2 {
		return nil, fail(1, 0, header, ErrEmpty, "need a target and at least one feature column, got %d columns", len(header))
	}

	t := &Table{TargetName: header[target]}
	for i, h := range header {
		if i != target {
			t.FeatureNames = append(t.FeatureNames, h)
		}
	}
	var targets []string
	var targetLines []int
	line := 1
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, readFailure(header, err)
		}
		line, _ = cr.FieldPos(0)
		if len(rec) != len(header) {
			col := min(len(rec), len(header)) + 1
			return nil, fail(line, col, header, ErrRaggedRow, "row has %d fields, header has %d", len(rec), len(header))
		}
		for i, cell := range rec {
			cell = strings.TrimSpace(cell)
			if isMissing(cell) {
				return nil, fail(line, i+1, header, ErrMissingValue, "missing value %s", quote(cell))
			}
			if i == target {
				// A clone: the cell shares the whole row's memory.
				targets = append(targets, strings.Clone(cell))
				targetLines = append(targetLines, line)
				continue
			}
			v, err := parseFinite(cell)
			if err != nil {
				return nil, fail(line, i+1, header, ErrNotNumeric, "%s is not a finite number", quote(cell))
			}
			t.X = append(t.X, v)
		}
	}
	if len(targets) == 0 {
		return nil, fail(line+1, 0, header, ErrEmpty, "no data rows after the header")
	}

	t.Task = opts.Task
	if t.Task == Auto {
		t.Task = guessTask(targets)
	}
	if t.Task == Classify {
		t.Labels, t.ClassNames = encodeClasses(targets)
		if len(t.ClassNames) < 2 {
			return nil, fail(0, target+1, header, ErrOneClass,
				"every row has the target %s: classification needs at least 2 classes", quote(t.ClassNames[0]))
		}
		return t, nil
	}
	t.Y = make([]float64, len(targets))
	for i, s := range targets {
		if t.Y[i], err = parseFinite(s); err != nil {
			return nil, fail(targetLines[i], target+1, header, ErrNotNumeric, "regression target %s is not a finite number", quote(s))
		}
	}
	return t, nil
}

// readError wraps an encoding/csv error, which carries its own line and column.
func readError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &ParseError{Source: name, Line: pe.Line, Column: pe.Column, Err: err, Detail: pe.Err.Error()}
	}
	return fmt.Errorf("csvdata: reading %s: %w", name, err)
}

func isMissing(cell string) bool {
	switch strings.ToLower(cell) {
	case "", "na", "n/a", "nan", "null":
		return true
	}
	return false
}

func parseFinite(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err == nil && (math.IsInf(v, 0) || math.IsNaN(v)) {
		err = ErrNotNumeric
	}
	return v, err
}

// guessTask implements Auto, documented there.
func guessTask(targets []string) Task {
	distinct := make(map[string]bool)
	for _, s := range targets {
		v, err := parseFinite(s)
		if err != nil {
			return Classify
		}
		if v != math.Trunc(v) {
			return Regress
		}
		distinct[s] = true
	}
	if len(distinct) <= MaxAutoClasses {
		return Classify
	}
	return Regress
}

// encodeClasses maps target strings to indices of their sorted distinct
// values: numeric order when all parse as numbers, string order otherwise.
func encodeClasses(targets []string) ([]int, []string) {
	var names []string
	index := make(map[string]int)
	numeric := true
	for _, s := range targets {
		if _, ok := index[s]; !ok {
			index[s] = 0
			names = append(names, s)
			if _, err := parseFinite(s); err != nil {
				numeric = false
			}
		}
	}
	slices.SortFunc(names, func(a, b string) int {
		if numeric {
			x, _ := strconv.ParseFloat(a, 64)
			y, _ := strconv.ParseFloat(b, 64)
			if c := cmpFloat(x, y); c != 0 {
				return c
			}
		}
		return strings.Compare(a, b)
	})
	for i, n := range names {
		index[n] = i
	}
	labels := make([]int, len(targets))
	for i, s := range targets {
		labels[i] = index[s]
	}
	return labels, names
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
