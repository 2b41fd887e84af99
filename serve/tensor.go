package serve

import (
	"fmt"
	"math"
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
	mant, frac, plain, ok := d.scanNumber()
	if !ok {
		if d.pos < len(d.buf) && d.buf[d.pos] == '"' {
			return fmt.Errorf("data value %d is a string, want a number (NaN and Infinity are not accepted)", d.count())
		}
		return fmt.Errorf("data value %d is not a number (NaN and Infinity are not accepted)", d.count())
	}
	tok := d.buf[start:d.pos]
	neg := tok[0] == '-'
	switch {
	case d.uint8:
		if !plain || frac > 0 || neg || mant > 255 {
			return fmt.Errorf("UINT8 data value %d is %s, want an integer in 0..255", d.count(), clip(tok))
		}
		d.out32 = append(d.out32, float32(mant))
		return nil
	case !plain || frac >= len(pow10f64):
		// strconv below
	case d.wide:
		if mant < 1<<53 {
			// Both exact float64s: one IEEE division rounds correctly.
			v := float64(mant) / pow10f64[frac]
			if neg {
				v = -v
			}
			d.out64 = append(d.out64, v)
			return nil
		}
	default:
		if v, ok := decimalFloat32(mant, frac, neg); ok {
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

// scanNumber reads the JSON number at d.pos and moves past it; ok is false
// when JSON's grammar does not allow what is there (it has no leading
// zeros, no bare point, no plus sign, no NaN). mant holds the number's
// digits as an integer and frac how many follow the point, when plain: no
// exponent and at most 19 digits, so that mant holds them exactly.
func (d *tensorData) scanNumber() (mant uint64, frac int, plain, ok bool) {
	b, i := d.buf, d.pos
	if i < len(b) && b[i] == '-' {
		i++
	}
	first := i
	if mant, i = digits(b, i, 0); i == first || (i-first > 1 && b[first] == '0') {
		return 0, 0, false, false
	}
	n := i - first
	if i < len(b) && b[i] == '.' {
		point := i + 1
		if mant, i = digits(b, point, mant); i == point {
			return 0, 0, false, false
		}
		frac = i - point
		n += frac
	}
	plain = n <= 19
	if i < len(b) && b[i]|0x20 == 'e' {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		exp := i
		if _, i = digits(b, i, 0); i == exp {
			return 0, 0, false, false
		}
		plain = false
	}
	d.pos = i
	return mant, frac, plain, true
}

// digits reads the decimal digits at b[i:], appending them to mant (which
// wraps past 19 digits), and returns where they end.
func digits(b []byte, i int, mant uint64) (uint64, int) {
	for i < len(b) && b[i]-'0' <= 9 {
		mant = mant*10 + uint64(b[i]-'0')
		i++
	}
	return mant, i
}

// pow10f64 are the powers of ten that float64 holds exactly.
var pow10f64 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// decimalFloat32 returns the float32 nearest to ±mant/10^frac, as
// strconv.ParseFloat(s, 32) does (tested against it), for frac <= 22: the
// common case of a request's values, such as 0.32941177 or the
// 0.32941176470588235 of a client that prints float64s, without strconv's
// general machinery. Converting mant to float64 and dividing by 10^frac
// (an exact float64) rounds twice, so v is within two float64 ulps of the
// exact value x (within half of one when mant < 2^53). Rounding v to
// float32 can then differ from rounding x only if a float32 tie (a float64
// halfway between two float32s) lies within those two ulps of v: when one
// does, it reports false, for ParseFloat.
func decimalFloat32(mant uint64, frac int, neg bool) (float32, bool) {
	if frac == 0 && mant < 1<<24 { // exact: most pixels are 0
		f := float32(mant)
		if neg {
			f = -f
		}
		return f, true
	}
	v := float64(mant) / pow10f64[frac]
	// A tie's 29 bits below float32's precision are a one, then zeros. v
	// is 0 or at least 1e-22, so its float32 is normal and those bits are
	// v's lowest 29; a margin of 4 covers the two ulps.
	const tie, margin = 1 << 28, 4
	if low := math.Float64bits(v) & (1<<29 - 1); low >= tie-margin && low <= tie+margin {
		return 0, false
	}
	f := float32(v)
	if neg {
		f = -f
	}
	return f, true
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
