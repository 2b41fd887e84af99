package csvdata

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits of Load, far above any table this package is meant for (the widest
// bundled one, breast-cancer, has 31 columns and rows under 400 bytes). They
// are checked on the bytes as they are read, before encoding/csv buffers
// them, so a hostile file costs a few MiB at most however long its header
// or a cell is. The number of rows is not limited: a table's memory grows
// with its rows, as the caller can see from the file size.
const (
	// MaxRowBytes bounds one row: the bytes of a line, or of a record whose
	// quoted cells hold line breaks, the line break included.
	MaxRowBytes = 1 << 20
	// MaxFields bounds the number of fields in one row, the header included.
	MaxFields = 10_000
	// MaxCellBytes bounds one cell (a header name or a value), its quotes
	// included.
	MaxCellBytes = 64 << 10
)

// quoteBytes is how much of a bad value an error message quotes.
const quoteBytes = 40

// quote returns s as a Go string literal when it is short, else its first
// quoteBytes bytes (cut at a rune boundary), an ellipsis and its length, so
// that an error never echoes a huge value.
func quote(s string) string {
	if len(s) <= quoteBytes {
		return strconv.Quote(s)
	}
	cut := quoteBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s... (%d bytes)", strconv.Quote(s[:cut]), len(s))
}

// maxListed is how many column names an error lists before it counts the
// rest.
const maxListed = 10

// quoteList lists names as quote writes each, at most maxListed of them.
func quoteList(names []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, n := range names {
		if i == maxListed {
			fmt.Fprintf(&b, " and %d more", len(names)-maxListed)
			break
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(quote(n))
	}
	b.WriteByte(']')
	return b.String()
}

// guard passes its reader's bytes through while it follows the CSV quoting
// (a double quote toggles a quoted cell; outside one, a comma ends a cell
// and a line break a row) and stops at the first byte that would break a
// limit: it returns the bytes before that one, then err for ever.
// encoding/csv sees a truncated row followed by the error. The quoting it
// follows is encoding/csv's with LazyQuotes off, for which a quote inside an
// unquoted cell is a syntax error; on such input the two may disagree on
// where a cell ends, but csv then fails on its own.
type guard struct {
	r   io.Reader
	err *ParseError // set at the first broken limit

	line     int // 1-based line of the next byte
	rowBytes int // bytes of the current row so far
	fields   int // fields of the current row so far, 1 at its start
	cell     int // bytes of the current cell so far
	quoted   bool
	prefix   []byte // the first quoteBytes bytes of the current cell
}

func newGuard(r io.Reader) *guard {
	return &guard{r: r, line: 1, fields: 1, prefix: make([]byte, 0, quoteBytes)}
}

func (g *guard) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	n, err := g.r.Read(p)
	for i, c := range p[:n] {
		g.rowBytes++
		endRow := false
		switch {
		case c == '\n' && !g.quoted:
			endRow = true
		case c == ',' && !g.quoted:
			g.fields++
			g.cell, g.prefix = 0, g.prefix[:0]
		case c == '"':
			g.quoted = !g.quoted
			g.cell++
		default:
			g.cell++
			if len(g.prefix) < quoteBytes {
				g.prefix = append(g.prefix, c)
			}
		}
		if detail := g.broken(); detail != "" {
			g.err = &ParseError{Line: g.line, Column: g.fields, Err: ErrTooLarge, Detail: detail}
			return i, g.err
		}
		if c == '\n' {
			g.line++
		}
		if endRow {
			g.rowBytes, g.fields, g.cell, g.prefix = 0, 1, 0, g.prefix[:0]
		}
	}
	return n, err
}

// broken describes the limit the current byte breaks, or returns "".
func (g *guard) broken() string {
	switch {
	case g.fields > MaxFields:
		return fmt.Sprintf("row has more than %d fields (MaxFields)", MaxFields)
	case g.cell > MaxCellBytes:
		return fmt.Sprintf("cell starting %s is longer than %d bytes (MaxCellBytes)", quote(string(g.prefix)), MaxCellBytes)
	case g.rowBytes > MaxRowBytes:
		return fmt.Sprintf("row is longer than %d bytes (MaxRowBytes)", MaxRowBytes)
	}
	return ""
}
