package serve

import (
	"bytes"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/predict"
	"github.com/gozoo/gozoo/zoo/mlp"
)

// tinyServer serves, as "m", an untrained MLP of the given number of
// inputs and two classes.
func tinyServer(f *testing.F, inputs int) *Server {
	model, err := mlp.New(mlp.Config{Inputs: inputs, Hidden: []int{3}, Outputs: 2}, rand.New(rand.NewPCG(1, 0)))
	if err != nil {
		f.Fatal(err)
	}
	p, err := predict.New(model, &modelcard.Card{Dataset: "x", Shape: []int{inputs}, ClassNames: []string{"a", "b"}}, predict.Options{})
	if err != nil {
		f.Fatal(err)
	}
	s, err := New(Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	if err := s.Add("m", p); err != nil {
		f.Fatal(err)
	}
	return s
}

// FuzzInfer sends arbitrary bodies to the infer and classify routes: every
// answer is a status below 500 (bad input is the client's fault), and the
// server keeps answering.
func FuzzInfer(f *testing.F) {
	s := tinyServer(f, 4)
	for _, seed := range []string{
		`{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}`,
		`{"inputs":[{"name":"input","shape":[2,4],"datatype":"FP32","data":[[1,2,3,4],[5,6,7,8]]}],"outputs":[{"name":"class_name"}]}`,
		`{"inputs":[{"name":"input","shape":[1,4],"datatype":"UINT8","data":[0,255,7,9]}]}`,
		`{"inputs":[{"name":"input","shape":[2147483648,4],"datatype":"FP32","data":[1]}]}`,
		`{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[1e39,"NaN",null,{}]}]}`,
		`{"id":"x","inputs":[]}`, `[`, ``, "\x89PNG\r\n\x1a\n",
	} {
		f.Add([]byte(seed), false)
	}
	f.Fuzz(func(t *testing.T, body []byte, classify bool) {
		path := "/v2/models/m/infer"
		if classify {
			path = "/v2/models/m/classify"
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body)))
		if rec.Code >= 500 {
			t.Fatalf("status %d for body %q: %s", rec.Code, body, rec.Body)
		}
	})
}

// FuzzInferBinary sends arbitrary bodies with the binary tensor data
// extension's header, splitting them at arbitrary points: every answer is
// a status below 500.
func FuzzInferBinary(f *testing.F) {
	s := tinyServer(f, 2)
	head := `{"parameters":{"binary_data_output":true},"inputs":[{"name":"input","shape":[1,2],"datatype":"FP32","parameters":{"binary_data_size":8}}]}`
	f.Add([]byte(head+"\x00\x00\x80\x3f\x00\x00\x00\x40"), uint16(len(head)))
	f.Add([]byte(head+"\x00\x00\xc0\x7f\x00\x00\x00\x40"), uint16(len(head)))
	f.Add([]byte(head+"\x00\x00\x80"), uint16(len(head)))
	f.Fuzz(func(t *testing.T, body []byte, headLen uint16) {
		req := httptest.NewRequest(http.MethodPost, "/v2/models/m/infer", bytes.NewReader(body))
		req.Header.Set("Inference-Header-Content-Length", strconv.Itoa(int(headLen)))
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for body %q split at %d: %s", rec.Code, body, headLen, rec.Body)
		}
	})
}
