package serve

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/predict"
)

// Where a request's time goes, without the network: decoding its JSON,
// the model at each batch size, and the whole handler.
func BenchmarkServe(b *testing.B) {
	x := scaled(digitPixels(0))
	body := inferBody("FP32", []int{1, 784}, x)
	for _, tc := range []struct{ name, path string }{{"mlp", digitsMLP}, {"lenet", lenetFile}} {
		p, err := predict.Load(tc.path)
		if err != nil {
			b.Fatal(err)
		}
		defer p.Close()
		for _, rows := range []int{1, 4, 16, 32} {
			in := make([]float32, 0, rows*784)
			for range rows {
				in = append(in, x...)
			}
			b.Run(fmt.Sprintf("model/%s/batch=%d", tc.name, rows), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := p.Predict(context.Background(), in); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "samples/s")
			})
		}
	}
	s, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.LoadFiles(digitsMLP, lenetFile); err != nil {
		b.Fatal(err)
	}
	m, _ := s.lookup("digits")
	// decode is the server's path; decode/encoding-json decodes the
	// envelope with encoding/json, as the server does for requests that
	// its scanner leaves alone.
	for _, dc := range []struct {
		name   string
		decode func([]byte, *inferRequest) error
		body   string
	}{
		{"decode", decodeRequest, body},
		{"decode/encoding-json", func(b []byte, r *inferRequest) error { return unmarshalOnce(b, r) }, body},
		// What a Python client sends: json.dumps of pixel/255 as float64s.
		{"decode/float64-digits", decodeRequest, inferBody("FP32", []int{1, 784}, widen(x))},
	} {
		b.Run(dc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var req inferRequest
				if err := dc.decode([]byte(dc.body), &req); err != nil {
					b.Fatal(err)
				}
				if _, _, err := m.input(req.Inputs, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "requests/s")
		})
	}
	for _, name := range []string{"digits", "lenet"} {
		b.Run("handler/"+name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				s.ServeHTTP(rec, httptest.NewRequest("POST", "/v2/models/"+name+"/infer", strings.NewReader(body)))
				if rec.Code != 200 {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "requests/s")
		})
	}
}
