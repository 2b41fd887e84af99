package serve

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
)

// binaryAnswer is a response of the binary tensor data extension, split
// by its Inference-Header-Content-Length as the extension's spec says.
type binaryAnswer struct {
	status  int
	head    []byte // the JSON
	tensors []byte // what follows it
}

// postBinary sends head, then tensors, with the extension's header.
func postBinary(t *testing.T, url string, head string, tensors []byte) binaryAnswer {
	t.Helper()
	ans, h := send(t, "POST", url, bytes.NewReader(append([]byte(head), tensors...)),
		"Content-Type", "application/octet-stream", "Inference-Header-Content-Length", strconv.Itoa(len(head)))
	data := ans.body
	a := binaryAnswer{status: ans.status, head: data}
	if v := h.Get("Inference-Header-Content-Length"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n > len(data) {
			t.Fatalf("Inference-Header-Content-Length %q for a body of %d bytes", v, len(data))
		}
		if ct := h.Get("Content-Type"); ct != "application/octet-stream" {
			t.Errorf("a binary answer has Content-Type %q", ct)
		}
		a.head, a.tensors = data[:n], data[n:]
	}
	return a
}

func float32LE(x []float32) []byte {
	var b []byte
	for _, v := range x {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	return b
}

// An input sent as binary data gives the answer the same values give as
// JSON, bit for bit, and outputs asked for as binary data hold the JSON
// outputs' values in the extension's layout.
func TestBinaryTensors(t *testing.T) {
	_, ts := start(t, Options{})
	url := ts.URL + "/v2/models/digits/infer"
	x := append(scaled(digitPixels(0)), scaled(digitPixels(1))...)
	asJSON, outs := decodeResponse(t, do(t, "POST", url, "application/json", strings.NewReader(inferBody("FP32", []int{2, 784}, x))))
	if len(asJSON.Outputs) != 4 {
		t.Fatalf("the JSON answer has %d outputs", len(asJSON.Outputs))
	}
	var logits []float32
	var probs []float64
	var classes []int64
	var names []string
	for _, err := range []error{json.Unmarshal(outs["logits"], &logits), json.Unmarshal(outs["probabilities"], &probs),
		json.Unmarshal(outs["class"], &classes), json.Unmarshal(outs["class_name"], &names)} {
		if err != nil {
			t.Fatal(err)
		}
	}

	// Every output as binary data, asked for by the request's parameter.
	head := `{"id":"b1","parameters":{"binary_data_output":true},` +
		`"inputs":[{"name":"input","shape":[2,784],"datatype":"FP32","parameters":{"binary_data_size":6272}}]}`
	a := postBinary(t, url, head, float32LE(x))
	if a.status != 200 {
		t.Fatalf("status %d: %s", a.status, a.head)
	}
	var resp struct {
		ID      string
		Outputs []struct {
			Name, Datatype string
			Shape          []int
			Parameters     struct {
				BinaryDataSize int `json:"binary_data_size"`
			}
			Data json.RawMessage
		}
	}
	if err := json.Unmarshal(a.head, &resp); err != nil {
		t.Fatalf("%v: %s", err, a.head)
	}
	le := binary.LittleEndian
	rest := a.tensors
	for _, o := range resp.Outputs {
		size := o.Parameters.BinaryDataSize
		if o.Data != nil || size > len(rest) {
			t.Fatalf("output %s: data %s, binary_data_size %d of %d bytes left", o.Name, o.Data, size, len(rest))
		}
		b := rest[:size]
		rest = rest[size:]
		switch o.Name {
		case "logits":
			if o.Datatype != "FP32" || size != 4*len(logits) {
				t.Fatalf("logits: %s of %d bytes", o.Datatype, size)
			}
			for i, v := range logits {
				if got := le.Uint32(b[4*i:]); got != math.Float32bits(v) {
					t.Fatalf("logit %d: binary %v, JSON %v", i, math.Float32frombits(got), v)
				}
			}
		case "probabilities":
			for i, v := range probs {
				if got := math.Float64frombits(le.Uint64(b[8*i:])); got != v || size != 8*len(probs) {
					t.Fatalf("probability %d: binary %v, JSON %v", i, got, v)
				}
			}
		case "class":
			for i, v := range classes {
				if got := int64(le.Uint64(b[8*i:])); got != v || size != 8*len(classes) {
					t.Fatalf("class %d: binary %v, JSON %v", i, got, v)
				}
			}
		case "class_name": // BYTES: a 4-byte length, then the bytes
			for i, v := range names {
				n := int(le.Uint32(b))
				if got := string(b[4 : 4+n]); got != v {
					t.Fatalf("class name %d: binary %q, JSON %q", i, got, v)
				}
				b = b[4+n:]
			}
			if len(b) != 0 {
				t.Fatalf("class_name has %d bytes too many", len(b))
			}
		default:
			t.Fatalf("unexpected output %q", o.Name)
		}
	}
	if len(resp.Outputs) != 4 || len(rest) != 0 || resp.ID != "b1" {
		t.Fatalf("%d outputs, %d bytes left over, id %q", len(resp.Outputs), len(rest), resp.ID)
	}

	// One output binary, one JSON: binary_data on an output overrides.
	head = `{"parameters":{"binary_data_output":true},"inputs":[{"name":"input","shape":[2,784],"datatype":"FP32","parameters":{"binary_data_size":6272}}],` +
		`"outputs":[{"name":"class","parameters":{"binary_data":false}},{"name":"logits"}]}`
	a = postBinary(t, url, head, float32LE(x))
	if a.status != 200 || !strings.Contains(string(a.head), `"data":[`+string(outs["class"][1:])) || len(a.tensors) != 4*len(logits) {
		t.Fatalf("status %d: %s and %d bytes", a.status, a.head, len(a.tensors))
	}

	// Binary input, JSON answer (no binary output asked for): the same
	// JSON as for JSON input.
	head = `{"inputs":[{"name":"input","shape":[2,784],"datatype":"FP32","parameters":{"binary_data_size":6272}}],"outputs":[{"name":"logits"}]}`
	a = postBinary(t, url, head, float32LE(x))
	if a.status != 200 || a.tensors != nil || !strings.Contains(string(a.head), string(outs["logits"])) {
		t.Fatalf("status %d: %s", a.status, a.head)
	}

	// UINT8 pixels as binary data: the answer UINT8 JSON gets.
	px := digitPixels(2)
	want := do(t, "POST", url, "application/json", strings.NewReader(inferBody("UINT8", []int{1, 784}, intsOf(px), "logits")))
	head = `{"id":"t1","inputs":[{"name":"input","shape":[1,784],"datatype":"UINT8","parameters":{"binary_data_size":784}}],"outputs":[{"name":"logits"}]}`
	if a = postBinary(t, url, head, px); a.status != 200 || !bytes.Equal(a.head, want.body) {
		t.Fatalf("UINT8 binary: status %d: %s, JSON gives %s", a.status, a.head, want.body)
	}
}

// Bad binary requests get a 400 naming what is wrong.
func TestBinaryTensorErrors(t *testing.T) {
	_, ts := start(t, Options{})
	url := ts.URL + "/v2/models/digits/infer"
	x := float32LE(scaled(digitPixels(0)))
	input := func(shape string, extra string) string {
		return `{"inputs":[{"name":"input","shape":` + shape + `,"datatype":"FP32"` + extra + `}]}`
	}
	withSize := func(n int) string { return `,"parameters":{"binary_data_size":` + strconv.Itoa(n) + `}` }
	nan := append([]byte(nil), x...)
	binary.LittleEndian.PutUint32(nan[40:], math.Float32bits(float32(math.NaN())))
	inf := append([]byte(nil), x...)
	binary.LittleEndian.PutUint32(inf[40:], math.Float32bits(float32(math.Inf(-1))))
	for _, tc := range []struct {
		name, head string
		tensors    []byte
		want       string
	}{
		{"size is not the bytes sent", input("[1,784]", withSize(3136)), x[:3000], "binary_data_size 3136, but 3000 bytes follow"},
		{"bytes are not the shape", input("[1,784]", withSize(3000)), x[:3000], "3000 bytes of binary data; shape [1 784] as FP32 needs 3136"},
		{"shape claims more rows", input("[2,784]", withSize(3136)), x, "3136 bytes of binary data; shape [2 784] as FP32 needs 6272"},
		{"shape claims 4e15 rows", input("[4000000000000000,784]", withSize(3136)), x, "needs more"},
		{"shape claims 2^62 rows", input("[4611686018427387904,784]", withSize(3136)), x, "claims 4611686018427387904 rows"},
		{"data and binary", input("[1,784]", withSize(3136)+`,"data":[1]`), x, "both data and binary_data_size"},
		{"bytes without binary_data_size", input("[1,784]", `,"data":[1]`), x, "3136 bytes of binary data follow the JSON"},
		{"NaN", input("[1,784]", withSize(3136)), nan, "binary value 10 is NaN"},
		{"Inf", input("[1,784]", withSize(3136)), inf, "binary value 10 is -Inf"},
		{"negative size", input("[1,784]", withSize(-4)), x, "binary_data_size -4"},
		{"size of the wrong type", input("[1,784]", `,"parameters":{"binary_data_size":"3136"}`), x, "bad JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := postBinary(t, url, tc.head, tc.tensors)
			var e struct{ Error string }
			if a.status != 400 || json.Unmarshal(a.head, &e) != nil || !strings.Contains(e.Error, tc.want) {
				t.Fatalf("status %d: %s; want 400 with %q", a.status, a.head, tc.want)
			}
		})
	}
	for _, v := range []string{"x", "-1", "99999"} {
		a, _ := send(t, "POST", url, strings.NewReader(input("[1,784]", "")), "Inference-Header-Content-Length", v)
		if a.status != 400 || !strings.Contains(string(a.body), "Inference-Header-Content-Length is") {
			t.Errorf("header %q: status %d: %s", v, a.status, a.body)
		}
	}
}
