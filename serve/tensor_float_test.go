package serve

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"
)

// simpleFloat32 gives strconv.ParseFloat(s, 32)'s bits wherever it takes a
// token, and declines what it does not handle.
func TestSimpleFloat32MatchesParseFloat(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	tokens := []string{"0", "-0", "1", "255", "0.5", "0.329412", "-3", "16777215", "16777216", "1.", ".5", "-.5",
		"1e3", "+1", "1.2.3", "00.25", "0.0000000001", "0.00000000001", "123456789", "1234567890", "-", ""}
	for range 200000 {
		switch rng.IntN(3) {
		case 0:
			tokens = append(tokens, strconv.FormatFloat(rng.Float64(), 'f', rng.IntN(11), 64))
		case 1:
			tokens = append(tokens, strconv.FormatFloat(float64(float32(rng.NormFloat64()*100)), 'f', -1, 32))
		default:
			tokens = append(tokens, strconv.Itoa(rng.IntN(1<<25)-1<<24))
		}
	}
	taken := 0
	for _, tok := range tokens {
		got, ok := simpleFloat32([]byte(tok))
		want, err := strconv.ParseFloat(tok, 32)
		if !ok {
			continue
		}
		taken++
		if err != nil {
			t.Fatalf("simpleFloat32(%q) = %v, but ParseFloat rejects it: %v", tok, got, err)
		}
		if math.Float32bits(got) != math.Float32bits(float32(want)) {
			t.Fatalf("simpleFloat32(%q) = %v (%08x), ParseFloat gives %v (%08x)", tok, got, math.Float32bits(got), float32(want), math.Float32bits(float32(want)))
		}
	}
	if taken < len(tokens)/2 {
		t.Fatalf("the fast path took only %d of %d tokens", taken, len(tokens))
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
