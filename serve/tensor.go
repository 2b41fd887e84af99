package serve

import (
	"fmt"
	"strconv"
)

// tensorData reads the "data" of a request tensor: numbers, flat or nested
// in row-major order. A nested array must match the shape at every level;
// a flat one must hold exactly as many numbers as the shape. It never
// allocates more than the data itself holds, whatever the shape claims.
type tensorData struct {
	buf   []byte
	pos   int
	shape []int
	want  int  // values the shape holds
	uint8 bool // integers 0..255 instead of FP32
	wide  bool // parse FP32 numbers as float64 (table models' raw features)
	out32 []float32
	out64 []float64
}

// parse reads buf into d.out32 (or d.out64 when wide).
func (d *tensorData) parse() error {
	// Room for every value, but never more than the body can hold: each
	// takes at least two bytes, a digit and a comma or bracket.
	if room := min(d.want, len(d.buf)/2+1); d.wide {
		d.out64 = make([]float64, 0, room)
	} else {
		d.out32 = make([]float32, 0, room)
	}
	d.skipSpace()
	if d.pos >= len(d.buf) || d.buf[d.pos] != '[' {
		return fmt.Errorf("data must be an array of numbers")
	}
	if err := d.array(0); err != nil {
		return err
	}
	d.skipSpace()
	if d.pos != len(d.buf) {
		return fmt.Errorf("data: unexpected %q after the array", d.buf[d.pos])
	}
	if n := d.count(); n != d.want {
		return fmt.Errorf("data holds %d values, shape %v needs %d", n, d.shape, d.want)
	}
	return nil
}

func (d *tensorData) count() int {
	if d.wide {
		return len(d.out64)
	}
	return len(d.out32)
}

// array reads one array at nesting depth depth: either all numbers (the
// innermost level, or a flat top level) or all arrays.
func (d *tensorData) array(depth int) error {
	d.pos++ // '['
	d.skipSpace()
	if d.pos < len(d.buf) && d.buf[d.pos] == ']' {
		d.pos++
		return fmt.Errorf("data holds an empty array")
	}
	nested := d.pos < len(d.buf) && d.buf[d.pos] == '['
	if nested && depth+1 >= len(d.shape) {
		return fmt.Errorf("data is nested deeper than shape %v", d.shape)
	}
	if !nested && depth > 0 && depth != len(d.shape)-1 {
		return fmt.Errorf("data is nested %d levels deep, shape %v has %d", depth+1, d.shape, len(d.shape))
	}
	for n := 1; ; n++ {
		d.skipSpace()
		if d.pos >= len(d.buf) {
			return fmt.Errorf("data: unexpected end")
		}
		if nested {
			if d.buf[d.pos] != '[' {
				return fmt.Errorf("data mixes numbers and arrays at depth %d", depth+1)
			}
			if err := d.array(depth + 1); err != nil {
				return err
			}
		} else if err := d.number(); err != nil {
			return err
		}
		d.skipSpace()
		if d.pos >= len(d.buf) {
			return fmt.Errorf("data: unexpected end")
		}
		switch d.buf[d.pos] {
		case ',':
			d.pos++
			continue
		case ']':
			d.pos++
			if (nested || depth > 0) && n != d.shape[depth] {
				return fmt.Errorf("data has an array of %d at depth %d, shape %v wants %d", n, depth+1, d.shape, d.shape[depth])
			}
			return nil
		}
		return fmt.Errorf("data: unexpected %q", d.buf[d.pos])
	}
}

func (d *tensorData) number() error {
	if d.count() >= d.want {
		return fmt.Errorf("data holds more values than shape %v needs (%d)", d.shape, d.want)
	}
	start := d.pos
	for d.pos < len(d.buf) {
		c := d.buf[d.pos]
		if (c < '0' || c > '9') && c != '-' && c != '+' && c != '.' && c != 'e' && c != 'E' {
			break
		}
		d.pos++
	}
	tok := d.buf[start:d.pos]
	if len(tok) == 0 || (tok[0] != '-' && (tok[0] < '0' || tok[0] > '9')) {
		if d.pos < len(d.buf) && d.buf[d.pos] == '"' {
			return fmt.Errorf("data value %d is a string, want a number (NaN and Infinity are not accepted)", d.count())
		}
		return fmt.Errorf("data value %d is not a number (NaN and Infinity are not accepted)", d.count())
	}
	if d.uint8 {
		v, err := strconv.ParseUint(string(tok), 10, 8)
		if err != nil {
			return fmt.Errorf("UINT8 data value %d is %s, want an integer in 0..255", d.count(), clip(tok))
		}
		d.out32 = append(d.out32, float32(v))
		return nil
	}
	if !d.wide {
		if v, ok := simpleFloat32(tok); ok {
			d.out32 = append(d.out32, v)
			return nil
		}
	}
	bits := 32
	if d.wide {
		bits = 64
	}
	v, err := strconv.ParseFloat(string(tok), bits)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return fmt.Errorf("data value %d (%s) is out of the FP32 range: values must be finite", d.count(), clip(tok))
		}
		return fmt.Errorf("data value %d (%s) is not a number", d.count(), clip(tok))
	}
	if d.wide {
		d.out64 = append(d.out64, v)
	} else {
		d.out32 = append(d.out32, float32(v))
	}
	return nil
}

// pow10f32 are the powers of ten that float32 holds exactly.
var pow10f32 = [...]float32{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10}

// simpleFloat32 parses the common case of a request's pixel values, a
// plain decimal such as 0.329412 or -3, with fewer than 2^24 as its digits
// and at most 10 after the point, without strconv's general machinery: the
// digits and the power of ten are both exact float32s, so one IEEE
// division gives the correctly rounded value, as strconv.ParseFloat(s, 32)
// does on its own exact path (tested against it). Anything else reports
// false, for ParseFloat.
func simpleFloat32(tok []byte) (float32, bool) {
	neg := len(tok) > 0 && tok[0] == '-'
	if neg {
		tok = tok[1:]
	}
	var mant uint32
	digits, frac, point := 0, 0, false
	for _, c := range tok {
		switch {
		case c >= '0' && c <= '9':
			mant = mant*10 + uint32(c-'0')
			digits++
			if point {
				frac++
			}
			if mant >= 1<<24 {
				return 0, false
			}
		case c == '.' && !point && digits > 0:
			point = true
		default:
			return 0, false
		}
	}
	if digits == 0 || (point && frac == 0) || frac >= len(pow10f32) {
		return 0, false
	}
	v := float32(mant) / pow10f32[frac]
	if neg {
		v = -v
	}
	return v, true
}

func (d *tensorData) skipSpace() {
	for d.pos < len(d.buf) {
		switch d.buf[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// clip quotes a token for an error message, cut to a readable length.
func clip(tok []byte) string {
	if len(tok) > 24 {
		return strconv.Quote(string(tok[:24]) + "...")
	}
	return strconv.Quote(string(tok))
}
