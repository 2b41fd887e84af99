package serve

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"
)

// numberTokens are the tokens the number tests parse: what clients send
// (float32s printed shortest, pixels over 255, integers), long and short
// decimals, exponents, float32 ties, and what JSON's grammar refuses.
func numberTokens() []string {
	rng := rand.New(rand.NewPCG(6, 6))
	tokens := []string{"0", "-0", "1", "255", "256", "0.5", "0.329412", "-3", "16777215", "16777216",
		"16777217", "16777219", "33554435", "0.1", "1.00000006", "1.00000012", "3.4028235e38", "1e39",
		"1e-46", "1.4e-45", "123456789012345678", "1234567890123456789", "12345678901234567890",
		"9007199254740993", "0.0000000000000000000001", "0.00000000000000000000001",
		"1.", ".5", "-.5", "+1", "01", "-01", "00.25", "1.2.3", "1e", "1e+", "-", "", "1_0", "0x10",
		"NaN", "Infinity", "1E5", "1e+05", "-2.5E-3", "2.", "1.e5"}
	for range 100000 {
		switch rng.IntN(8) {
		case 6: // a pixel as a client that prints float64s sends it
			tokens = append(tokens, strconv.FormatFloat(float64(rng.IntN(256))/255, 'f', -1, 64))
		case 7: // a float64 printed in full, just off a float32 tie
			f := float32(rng.NormFloat64())
			tie := (float64(f) + float64(math.Nextafter32(f, float32(math.Inf(1))))) / 2
			tokens = append(tokens, strconv.FormatFloat(math.Nextafter(tie, math.Inf(2*rng.IntN(2)-1)), 'f', -1, 64))
		case 0:
			tokens = append(tokens, strconv.FormatFloat(rng.Float64(), 'f', rng.IntN(23), 64))
		case 1:
			tokens = append(tokens, strconv.FormatFloat(float64(float32(rng.NormFloat64()*100)), 'f', -1, 32))
		case 2:
			tokens = append(tokens, strconv.FormatFloat(float64(float32(rng.IntN(256))/255), 'f', -1, 32))
		case 3:
			tokens = append(tokens, strconv.Itoa(rng.IntN(1<<26)-1<<25))
		case 4: // a tie between two float32s, exactly or nearly
			f := float32(rng.NormFloat64() * 1000)
			tie := (float64(f) + float64(math.Nextafter32(f, float32(math.Inf(1))))) / 2
			tokens = append(tokens, strconv.FormatFloat(tie, 'f', -1, 64))
		default:
			tokens = append(tokens, strconv.FormatFloat(rng.NormFloat64()*math.Pow(10, float64(rng.IntN(20)-10)), 'g', rng.IntN(19)+1, 64))
		}
	}
	return tokens
}

// A number in a request's data is accepted exactly when it is JSON and
// in range, and then gets strconv.ParseFloat's bits; UINT8 data takes
// JSON integers in 0..255.
func TestNumbersMatchParseFloat(t *testing.T) {
	fast, ties := 0, 0
	tokens := numberTokens()
	for _, tok := range tokens {
		valid := json.Valid([]byte(tok))
		for _, wide := range []bool{false, true} {
			bits := 32
			if wide {
				bits = 64
			}
			d := tensorData{buf: []byte("[" + tok + "]"), shape: []int{1}, want: 1, wide: wide}
			err := d.parse()
			want, perr := strconv.ParseFloat(tok, bits)
			switch {
			case !valid || perr != nil:
				if err == nil {
					t.Fatalf("%q (FP%d) is accepted; JSON valid %v, ParseFloat says %v", tok, bits, valid, perr)
				}
			case err != nil:
				t.Fatalf("%q (FP%d) is refused: %v", tok, bits, err)
			case wide && math.Float64bits(d.out64[0]) != math.Float64bits(want):
				t.Fatalf("%q as FP64 gives %v, ParseFloat %v", tok, d.out64[0], want)
			case !wide && math.Float32bits(d.out32[0]) != math.Float32bits(float32(want)):
				t.Fatalf("%q gives %v (%08x), ParseFloat %v (%08x)", tok, d.out32[0], math.Float32bits(d.out32[0]), float32(want), math.Float32bits(float32(want)))
			}
		}
		u := tensorData{buf: []byte("[" + tok + "]"), shape: []int{1}, want: 1, uint8: true}
		err := u.parse()
		want, perr := strconv.ParseUint(tok, 10, 8)
		if (err == nil) != (valid && perr == nil) {
			t.Fatalf("UINT8 %q: accepted %v, JSON valid %v, ParseUint says %v", tok, err == nil, valid, perr)
		}
		if err == nil && u.out32[0] != float32(want) {
			t.Fatalf("UINT8 %q gives %v", tok, u.out32[0])
		}
		// Which path the FP32 value took.
		s := tensorData{buf: []byte(tok)}
		if mant, frac, plain, ok := s.scanNumber(); ok && plain && frac < len(pow10f64) {
			if _, ok := decimalFloat32(mant, frac, false); ok {
				fast++
			} else {
				ties++
			}
		}
	}
	if fast < len(tokens)*3/5 || ties == 0 {
		t.Fatalf("the fast path took %d of %d tokens and declined %d ties", fast, len(tokens), ties)
	}
}

// unmarshalOnce accepts and rejects what json.Unmarshal does, and decodes
// the same request.
func TestUnmarshalOnceIsUnmarshal(t *testing.T) {
	for _, body := range []string{
		`{"id": "1", "inputs": [{"name": "input", "shape": [1, 2], "datatype": "FP32", "data": [0.5, 1]}]}`,
		"{\"id\": \"2\"}\n\t ",
		`{"id": "1"} {"id": "2"}`,
		`{"id": "1"}x`,
		`{"inputs": [`,
		``,
		`   `,
		`[1, 2]`,
		`{"id": 5}`,
	} {
		var got, want inferRequest
		errGot := unmarshalOnce([]byte(body), &got)
		errWant := json.Unmarshal([]byte(body), &want)
		if (errGot == nil) != (errWant == nil) {
			t.Fatalf("%q: unmarshalOnce says %v, json.Unmarshal %v", body, errGot, errWant)
		}
		if errGot == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: unmarshalOnce gives %+v, json.Unmarshal %+v", body, got, want)
		}
	}
}
