package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// decodeRequest decodes an inference request's JSON envelope; its tensors'
// data stay raw, for tensorData.
//
// Most requests have one shape: ASCII names without escapes, the keys id,
// inputs (name, shape, datatype, data) and outputs (name), each once, and
// arrays of numbers as data. scanRequest reads that shape in one pass and
// without reflection, several times faster than encoding/json (which was a
// third of a LeNet-5 server's time). Anything else, or anything it is
// unsure of, goes to encoding/json, so every other request is decoded, and
// every error worded, as encoding/json does. What scanRequest accepts it
// decodes as encoding/json would (tested on a corpus and by fuzzing), but
// for one thing: it does not check the data arrays' JSON, which is left to
// tensorData, whose grammar is JSON's for arrays of numbers.
func decodeRequest(body []byte, req *inferRequest) error {
	if scanRequest(body, req) {
		return nil
	}
	*req = inferRequest{}
	return unmarshalOnce(body, req)
}

// unmarshalOnce is json.Unmarshal scanning the body once fewer:
// Unmarshal checks the whole body before decoding it, a json.Decoder
// checks it as it decodes. What follows the value must be white space, as
// Unmarshal requires.
func unmarshalOnce(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("the body is empty")
		}
		return err
	}
	for _, c := range body[dec.InputOffset():] {
		if !isSpace(c) {
			return fmt.Errorf("invalid character %q after top-level value", c)
		}
	}
	return nil
}

// scanRequest decodes body into req when it has the common shape that
// decodeRequest describes, and reports false otherwise (req then holds
// partial results).
func scanRequest(body []byte, req *inferRequest) bool {
	s := scanner{b: body}
	var seenID, seenInputs, seenOutputs bool
	ok := s.object(func(key string) bool {
		var ok bool
		switch {
		case key == "id" && once(&seenID):
			req.ID, ok = s.plainString()
		case key == "inputs" && once(&seenInputs):
			req.Inputs = make([]inferInput, 0, 1)
			ok = s.array(func() bool {
				req.Inputs = append(req.Inputs, inferInput{})
				return s.input(&req.Inputs[len(req.Inputs)-1])
			})
		case key == "outputs" && once(&seenOutputs):
			req.Outputs = make([]inferOutput, 0, 4)
			ok = s.array(func() bool {
				req.Outputs = append(req.Outputs, inferOutput{})
				out, seenName := &req.Outputs[len(req.Outputs)-1], false
				return s.object(func(key string) bool {
					var ok bool
					if key == "name" && once(&seenName) {
						out.Name, ok = s.plainString()
					}
					return ok
				})
			})
		}
		return ok
	})
	s.space()
	return ok && s.i == len(s.b)
}

// once reports whether a key comes for the first time, and marks it seen:
// scanRequest declines duplicate keys (encoding/json keeps the last).
func once(seen *bool) bool {
	first := !*seen
	*seen = true
	return first
}

// scanner reads the JSON of one request body, declining (returning false)
// at whatever is outside scanRequest's shape.
type scanner struct {
	b []byte
	i int
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (s *scanner) space() {
	for s.i < len(s.b) && isSpace(s.b[s.i]) {
		s.i++
	}
}

// next skips white space and consumes c if it comes next.
func (s *scanner) next(c byte) bool {
	s.space()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// object reads an object, calling member after each key and its colon to
// read the value.
func (s *scanner) object(member func(key string) bool) bool {
	if !s.next('{') {
		return false
	}
	if s.next('}') {
		return true
	}
	for {
		key, ok := s.plainString()
		if !ok || !s.next(':') || !member(key) {
			return false
		}
		if s.next(',') {
			continue
		}
		return s.next('}')
	}
}

// array reads an array, calling elem to read each element.
func (s *scanner) array(elem func() bool) bool {
	if !s.next('[') {
		return false
	}
	if s.next(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if s.next(',') {
			continue
		}
		return s.next(']')
	}
}

// plainString reads a string of printable ASCII without escapes, which
// encoding/json decodes to its bytes unchanged.
func (s *scanner) plainString() (string, bool) {
	if !s.next('"') {
		return "", false
	}
	start := s.i
	for ; s.i < len(s.b); s.i++ {
		switch c := s.b[s.i]; {
		case c == '"':
			str := string(s.b[start:s.i])
			s.i++
			return str, true
		case c < 0x20 || c > 0x7e || c == '\\':
			return "", false
		}
	}
	return "", false
}

func (s *scanner) input(in *inferInput) bool {
	var seenName, seenShape, seenType, seenData bool
	return s.object(func(key string) bool {
		var ok bool
		switch {
		case key == "name" && once(&seenName):
			in.Name, ok = s.plainString()
		case key == "datatype" && once(&seenType):
			in.Datatype, ok = s.plainString()
		case key == "shape" && once(&seenShape):
			in.Shape = make([]int64, 0, 4)
			ok = s.array(func() bool {
				v, ok := s.integer()
				in.Shape = append(in.Shape, v)
				return ok
			})
		case key == "data" && once(&seenData):
			in.Data, ok = s.arrays()
		}
		return ok
	})
}

// integer reads a JSON integer of at most 18 digits (so within int64),
// as encoding/json decodes into an int64.
func (s *scanner) integer() (int64, bool) {
	s.space()
	neg := s.i < len(s.b) && s.b[s.i] == '-'
	if neg {
		s.i++
	}
	start := s.i
	var v int64
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		v = v*10 + int64(s.b[s.i]-'0')
		s.i++
	}
	n := s.i - start
	if n == 0 || n > 18 || (n > 1 && s.b[start] == '0') {
		return 0, false
	}
	if s.i < len(s.b) && (s.b[s.i] == '.' || s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		return 0, false // encoding/json refuses a fraction or exponent for an int64
	}
	if neg {
		v = -v
	}
	return v, true
}

// arrays returns the bytes of a value made of nested arrays, as a
// json.RawMessage holds them: from its '[' to the matching ']'. It checks
// the brackets only; a string or object inside (or a value that is not an
// array) is declined, for encoding/json.
func (s *scanner) arrays() (json.RawMessage, bool) {
	if !s.next('[') {
		return nil, false
	}
	start, depth := s.i-1, 1
	for ; s.i < len(s.b); s.i++ {
		switch s.b[s.i] {
		case '[':
			depth++
		case ']':
			if depth--; depth == 0 {
				s.i++
				return json.RawMessage(s.b[start:s.i:s.i]), true
			}
		case '"', '{', '}':
			return nil, false
		}
	}
	return nil, false
}
