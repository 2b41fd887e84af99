package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"math"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gozoo/gozoo/io/imagein"
	"github.com/gozoo/gozoo/metrics"
	"github.com/gozoo/gozoo/predict"
	"github.com/gozoo/gozoo/zoo"
)

// The protocol's JSON objects.
type (
	serverMeta struct {
		Name       string   `json:"name"`
		Version    string   `json:"version"`
		Extensions []string `json:"extensions"`
	}
	tensorMeta struct {
		Name     string `json:"name"`
		Datatype string `json:"datatype"`
		Shape    []int  `json:"shape"`
	}
	modelMeta struct {
		Name     string       `json:"name"`
		Versions []string     `json:"versions"`
		Platform string       `json:"platform"`
		Inputs   []tensorMeta `json:"inputs"`
		Outputs  []tensorMeta `json:"outputs"`
	}
	inferRequest struct {
		ID         string         `json:"id"`
		Inputs     []inferInput   `json:"inputs"`
		Outputs    []inferOutput  `json:"outputs"`
		Parameters *requestParams `json:"parameters"`
	}
	inferInput struct {
		Name       string          `json:"name"`
		Shape      []int64         `json:"shape"`
		Datatype   string          `json:"datatype"`
		Data       json.RawMessage `json:"data"`
		Parameters *tensorParams   `json:"parameters"`
	}
	inferOutput struct {
		Name       string        `json:"name"`
		Parameters *tensorParams `json:"parameters"`
	}
	inferResponse struct {
		ModelName    string         `json:"model_name"`
		ModelVersion string         `json:"model_version"`
		ID           string         `json:"id,omitempty"`
		Outputs      []outputTensor `json:"outputs"`
	}
	outputTensor struct {
		Name       string        `json:"name"`
		Datatype   string        `json:"datatype"`
		Shape      []int         `json:"shape"`
		Parameters *tensorParams `json:"parameters,omitempty"`
		Data       any           `json:"data,omitempty"` // nil when binary
	}
	classifyResponse struct {
		ModelName     string               `json:"model_name"`
		ModelVersion  string               `json:"model_version"`
		Class         int                  `json:"class"`
		ClassName     string               `json:"class_name"`
		Probabilities []float64            `json:"probabilities"`
		Top           []predict.ClassScore `json:"top"`
	}
)

// ExtensionClassify names the server's one extension of the protocol:
// POST /v2/models/{name}/classify with a PNG or JPEG body.
const ExtensionClassify = "gozoo_classify"

// MaxImagePixels bounds an image sent to the classify route (4 Mpixel),
// so that concurrent uploads of large images cannot exhaust memory.
const MaxImagePixels = 1 << 22

// exchange is one request and what the logs and metrics say of it.
type exchange struct {
	http.ResponseWriter
	r      *http.Request
	status int
	route  string
	model  string // empty unless the request names a served model
	rows   int
	err    string
}

func (e *exchange) WriteHeader(code int) {
	if e.status == 0 {
		e.status = code
	}
	e.ResponseWriter.WriteHeader(code)
}

func (e *exchange) Write(b []byte) (int, error) {
	if e.status == 0 {
		e.status = http.StatusOK
	}
	return e.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (e *exchange) Unwrap() http.ResponseWriter { return e.ResponseWriter }

func (e *exchange) json(status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		e.fail(http.StatusInternalServerError, "encoding the answer: %v", err)
		return
	}
	e.Header().Set("Content-Type", "application/json")
	e.WriteHeader(status)
	e.Write(append(data, '\n'))
}

func (e *exchange) fail(status int, format string, args ...any) {
	e.err = fmt.Sprintf(format, args...)
	data, _ := json.Marshal(map[string]string{"error": e.err})
	e.Header().Set("Content-Type", "application/json")
	e.WriteHeader(status)
	e.Write(append(data, '\n'))
}

// ServeHTTP answers the Open Inference Protocol's REST routes under /v2,
// the classify route and /metrics.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	s.metrics.inflight.Inc()
	defer s.metrics.inflight.Dec()
	e := &exchange{ResponseWriter: w, r: r, route: "other"}
	s.route(e, start)
	if e.status == 0 {
		e.status = http.StatusOK
	}
	d := time.Since(start)
	s.metrics.requests.WithLabelValues(e.model, e.route, strconv.Itoa(e.status)).Inc()
	s.metrics.latency.WithLabelValues(e.model, e.route).Observe(d.Seconds())
	level := slog.LevelInfo
	if e.status >= 500 {
		level = slog.LevelError
	}
	if !s.log.Enabled(r.Context(), level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method), slog.String("path", clipString(r.URL.Path, 200)),
		slog.Int("status", e.status), slog.Duration("duration", d), slog.String("remote", r.RemoteAddr),
	}
	if e.model != "" {
		attrs = append(attrs, slog.String("model", e.model))
	}
	if e.rows > 0 {
		attrs = append(attrs, slog.Int("rows", e.rows))
	}
	if e.err != "" {
		attrs = append(attrs, slog.String("error", e.err))
	}
	s.log.LogAttrs(r.Context(), level, "request", attrs...)
}

func (s *Server) route(e *exchange, start time.Time) {
	path := e.r.URL.Path
	switch path {
	case "/v2", "/v2/":
		e.route = "server"
		if s.method(e, http.MethodGet) {
			e.json(http.StatusOK, serverMeta{Name: "gozoo", Version: zoo.Version, Extensions: []string{ExtensionBinary, ExtensionClassify}})
		}
		return
	case "/v2/health/live":
		e.route = "live"
		if s.method(e, http.MethodGet) {
			e.json(http.StatusOK, map[string]bool{"live": true})
		}
		return
	case "/v2/health/ready":
		e.route = "ready"
		if s.method(e, http.MethodGet) {
			ready := s.Ready()
			e.json(map[bool]int{true: http.StatusOK, false: http.StatusServiceUnavailable}[ready], map[string]bool{"ready": ready})
		}
		return
	case "/metrics":
		e.route = "metrics"
		if s.method(e, http.MethodGet) {
			s.expose.ServeHTTP(e, e.r)
		}
		return
	}
	rest, ok := strings.CutPrefix(path, "/v2/models/")
	if !ok {
		e.fail(http.StatusNotFound, "no route %s (the API is under /v2)", clipString(path, 100))
		return
	}
	parts := strings.Split(rest, "/")
	name, parts := parts[0], parts[1:]
	version := ""
	if len(parts) >= 2 && parts[0] == "versions" {
		version, parts = parts[1], parts[2:]
	}
	action := ""
	switch len(parts) {
	case 0:
	case 1:
		action = parts[0]
	default:
		e.fail(http.StatusNotFound, "no route %s", clipString(path, 100))
		return
	}
	switch action {
	case "":
		e.route = "metadata"
	case "ready":
		e.route = "model_ready"
	case "infer", "classify":
		e.route = action
	default:
		e.fail(http.StatusNotFound, "no route %s (a model has metadata, ready, infer and classify)", clipString(path, 100))
		return
	}
	want := http.MethodGet
	if action == "infer" || action == "classify" {
		want = http.MethodPost
	}
	if !s.method(e, want) {
		return
	}
	m, closed := s.lookup(name)
	switch {
	case m == nil:
		e.fail(http.StatusNotFound, "unknown model %q", clipString(name, 64))
		return
	case version != "" && version != Version:
		e.model = name
		e.fail(http.StatusNotFound, "model %q has no version %q (its one version is %s)", name, clipString(version, 32), Version)
		return
	}
	e.model = name
	if m.p == nil {
		if action == "ready" {
			e.json(http.StatusServiceUnavailable, map[string]any{"name": name, "ready": false})
			return
		}
		e.fail(http.StatusServiceUnavailable, "model %q is loading", name)
		return
	}
	if closed && (action == "infer" || action == "classify") {
		e.fail(http.StatusServiceUnavailable, "the server is shutting down")
		return
	}
	switch action {
	case "":
		e.json(http.StatusOK, m.meta)
	case "ready":
		ready := !s.draining.Load() && !closed
		e.json(map[bool]int{true: http.StatusOK, false: http.StatusServiceUnavailable}[ready], map[string]any{"name": name, "ready": ready})
	case "infer":
		s.infer(e, m, start.Add(s.opts.Timeout))
	case "classify":
		s.classify(e, m, start.Add(s.opts.Timeout))
	}
}

// method checks the request's method (GET also admits HEAD).
func (s *Server) method(e *exchange, want string) bool {
	if m := e.r.Method; m == want || (want == http.MethodGet && m == http.MethodHead) {
		return true
	}
	allow := want
	if want == http.MethodGet {
		allow = "GET, HEAD"
	}
	e.Header().Set("Allow", allow)
	e.fail(http.StatusMethodNotAllowed, "%s wants %s, not %s", e.route, want, clipString(e.r.Method, 16))
	return false
}

// readBody reads the request body, at most MaxBody bytes, by the deadline.
// It writes the error answer itself and returns nil on failure.
func (s *Server) readBody(e *exchange, deadline time.Time) []byte {
	if e.r.ContentLength > s.opts.MaxBody {
		e.fail(http.StatusRequestEntityTooLarge, "the body has %d bytes, more than the server takes (%d)", e.r.ContentLength, s.opts.MaxBody)
		return nil
	}
	rc := http.NewResponseController(e)
	_ = rc.SetReadDeadline(deadline) // not every ResponseWriter can; the context still bounds the model's part
	var buf bytes.Buffer
	if n := e.r.ContentLength; n > 0 {
		buf.Grow(int(n))
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(e, e.r.Body, s.opts.MaxBody))
	if err == nil {
		_ = rc.SetReadDeadline(time.Time{})
		return buf.Bytes()
	}
	// The rest of the body is not worth waiting for (the server would
	// otherwise read it before answering): close the connection.
	e.Header().Set("Connection", "close")
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		e.fail(http.StatusRequestEntityTooLarge, "the body is larger than the server takes (%d bytes)", s.opts.MaxBody)
	case errors.Is(err, os.ErrDeadlineExceeded):
		e.fail(http.StatusRequestTimeout, "the body did not arrive within %v", s.opts.Timeout)
	default:
		e.fail(http.StatusBadRequest, "reading the body: %v", err)
	}
	return nil
}

func (s *Server) infer(e *exchange, m *model, deadline time.Time) {
	m.b.expect()
	queued := false
	defer func() {
		if !queued {
			m.b.forget()
		}
	}()
	t0 := time.Now()
	body := s.readBody(e, deadline)
	if body == nil {
		return
	}
	head, tensors, err := splitBody(e.r.Header, body)
	if err != nil {
		e.fail(http.StatusBadRequest, "%v", err)
		return
	}
	var req inferRequest
	if err := decodeRequest(head, &req); err != nil {
		e.fail(http.StatusBadRequest, "bad JSON: %v", err)
		return
	}
	x, rows, err := m.input(req.Inputs, tensors)
	if err != nil {
		e.fail(http.StatusBadRequest, "%v", err)
		return
	}
	e.rows = rows
	outputs, err := m.selectOutputs(req)
	if err != nil {
		e.fail(http.StatusBadRequest, "%v", err)
		return
	}
	m.m.decode.Observe(time.Since(t0).Seconds())
	ctx, cancel := context.WithDeadline(e.r.Context(), deadline)
	defer cancel()
	queued = true
	out, err := m.b.infer(ctx, x, rows)
	if err != nil {
		s.failRun(e, err)
		return
	}
	for _, v := range out {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			e.fail(http.StatusBadRequest, "the model's outputs for this input are not finite: are the values in the range it was trained on?")
			return
		}
	}
	resp := inferResponse{ModelName: m.name, ModelVersion: Version, ID: req.ID}
	var binaries [][]byte
	for _, o := range outputs {
		t := m.output(o.tensorMeta, out, rows)
		if o.binary {
			b, err := binaryTensor(t.Data)
			if err != nil {
				e.fail(http.StatusInternalServerError, "encoding output %q: %v", o.Name, err)
				return
			}
			size := int64(len(b))
			t.Data, t.Parameters = nil, &tensorParams{BinaryDataSize: &size}
			binaries = append(binaries, b)
		}
		resp.Outputs = append(resp.Outputs, t)
	}
	if binaries != nil {
		e.writeBinary(resp, binaries)
		return
	}
	e.json(http.StatusOK, resp)
}

func (s *Server) failRun(e *exchange, err error) {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		e.fail(http.StatusServiceUnavailable, "no answer from the model within %v: the server is overloaded", s.opts.Timeout)
	case errors.Is(err, context.Canceled):
		e.fail(http.StatusServiceUnavailable, "the request was cancelled")
	case errors.Is(err, predict.ErrClosed):
		e.fail(http.StatusServiceUnavailable, "the server is shutting down")
	default:
		e.fail(http.StatusInternalServerError, "running the model: %v", err)
	}
}

// input checks the request's one input against the model and returns it
// as model input rows. tensors is the binary data after the request's
// JSON, for an input with the parameter binary_data_size.
func (m *model) input(inputs []inferInput, tensors []byte) ([]float32, int, error) {
	if len(inputs) != 1 {
		return nil, 0, fmt.Errorf("the model takes one input, the request has %d", len(inputs))
	}
	in := inputs[0]
	name := clipString(in.Name, 64)
	size := m.p.InputSize()
	d := tensorData{shape: intShape(in.Shape)}
	elem := 4 // bytes a value takes as binary data
	switch in.Datatype {
	case "FP32":
		d.wide = m.table
	case "UINT8":
		if m.layout == nil {
			return nil, 0, fmt.Errorf("UINT8 input is for image models; model %q takes FP32", m.name)
		}
		d.uint8, elem = true, 1
	default:
		return nil, 0, fmt.Errorf("datatype %q is not supported: send FP32 (or UINT8 pixels to an image model)", clipString(in.Datatype, 16))
	}
	var rows int
	if p := in.Parameters; p != nil && p.BinaryDataSize != nil {
		n := *p.BinaryDataSize
		switch {
		case len(in.Data) > 0:
			return nil, 0, fmt.Errorf("input %q has both data and binary_data_size", name)
		case n != int64(len(tensors)):
			return nil, 0, fmt.Errorf("input %q has binary_data_size %d, but %d bytes follow the JSON", name, n, len(tensors))
		}
		var err error
		if rows, err = m.rows(in.Shape, math.MaxInt); err != nil {
			return nil, 0, err
		}
		if per := int64(size * elem); int64(rows) > n/per || int64(rows)*per != n {
			needs := "more"
			if int64(rows) <= math.MaxInt64/per {
				needs = strconv.FormatInt(int64(rows)*per, 10)
			}
			return nil, 0, fmt.Errorf("input %q has %d bytes of binary data; shape %v as %s needs %s", name, n, clipShape(in.Shape), in.Datatype, needs)
		}
		if d.out32, d.out64, err = binaryValues(tensors, d.uint8, d.wide); err != nil {
			return nil, 0, fmt.Errorf("input %q: %v", name, err)
		}
	} else {
		if len(tensors) > 0 {
			return nil, 0, fmt.Errorf("%d bytes of binary data follow the JSON, but input %q has no binary_data_size", len(tensors), name)
		}
		if len(in.Data) == 0 || string(in.Data) == "null" {
			return nil, 0, fmt.Errorf("input %q has no data", name)
		}
		// Every value takes at least two bytes ("0,").
		var err error
		if rows, err = m.rows(in.Shape, (len(in.Data)+1)/2); err != nil {
			return nil, 0, err
		}
		d.buf, d.want = in.Data, rows*size
		if err := d.parse(); err != nil {
			return nil, 0, fmt.Errorf("input %q: %v", name, err)
		}
	}
	switch {
	case d.uint8:
		l := m.layout
		plane := l.Height * l.Width
		for i, v := range d.out32 {
			c := (i % size) / plane
			d.out32[i] = float32((float64(v)/255 - float64(l.Mean[c])) / float64(l.Std[c]))
		}
	case m.table:
		d.out32 = make([]float32, 0, len(d.out64))
		for r := range rows {
			row, err := m.card.Row(d.out64[r*size : (r+1)*size])
			if err != nil {
				return nil, 0, err
			}
			d.out32 = append(d.out32, row...)
		}
	}
	return d.out32, rows, nil
}

// rows checks a request shape, [N] and the card's shape or [N, InputSize],
// and returns N. A shape cannot claim more values than the data could
// hold, at most values.
func (m *model) rows(shape []int64, values int) (int, error) {
	size := m.p.InputSize()
	fits := len(shape) == 2 && shape[1] == int64(size)
	if !fits && len(shape) == 1+len(m.card.Shape) {
		fits = true
		for i, d := range m.card.Shape {
			fits = fits && shape[i+1] == int64(d)
		}
	}
	if !fits {
		also := ""
		if len(m.card.Shape) > 1 {
			also = fmt.Sprintf(" (or [-1 %d])", size)
		}
		return 0, fmt.Errorf("input shape %v does not fit model %q: it takes %v%s", clipShape(shape), m.name, m.meta.Inputs[0].Shape, also)
	}
	if shape[0] <= 0 {
		return 0, fmt.Errorf("input shape %v: the batch dimension must be positive", clipShape(shape))
	}
	if most := int64(values) / int64(size); shape[0] > most {
		return 0, fmt.Errorf("input shape %v claims %d rows; the data holds at most %d", clipShape(shape), shape[0], most)
	}
	return int(shape[0]), nil
}

func intShape(s []int64) []int {
	out := make([]int, len(s))
	for i, d := range s {
		out[i] = int(d)
	}
	return out
}

func clipShape(s []int64) []int64 {
	if len(s) > 8 {
		return s[:8]
	}
	return s
}

// wantedOutput is an output a request asks for, and whether as binary
// data.
type wantedOutput struct {
	tensorMeta
	binary bool
}

// selectOutputs returns the requested outputs (all when none is named),
// each binary as its parameter binary_data says, or else as the request's
// binary_data_output says.
func (m *model) selectOutputs(req inferRequest) ([]wantedOutput, error) {
	binary := false
	if p := req.Parameters; p != nil && p.BinaryDataOutput != nil {
		binary = *p.BinaryDataOutput
	}
	var out []wantedOutput
	if len(req.Outputs) == 0 {
		for _, o := range m.outputs {
			out = append(out, wantedOutput{o, binary})
		}
		return out, nil
	}
	for _, r := range req.Outputs {
		i := slices.IndexFunc(m.outputs, func(o tensorMeta) bool { return o.Name == r.Name })
		if i < 0 {
			var names []string
			for _, o := range m.outputs {
				names = append(names, o.Name)
			}
			return nil, fmt.Errorf("model %q has no output %q (it has %s)", m.name, clipString(r.Name, 64), strings.Join(names, ", "))
		}
		w := wantedOutput{m.outputs[i], binary}
		if p := r.Parameters; p != nil && p.BinaryData != nil {
			w.binary = *p.BinaryData
		}
		out = append(out, w)
	}
	return out, nil
}

// output computes one named output from the model's raw outputs.
func (m *model) output(o tensorMeta, out []float32, rows int) outputTensor {
	n := m.p.OutputSize()
	t := outputTensor{Name: o.Name, Datatype: o.Datatype, Shape: []int{rows, n}}
	switch o.Name {
	case "logits", "output":
		t.Data = out
	case "probabilities":
		t.Data = metrics.Softmax(widen(out), n, nil)
	case "value":
		v := widen(out)
		if s := m.card.TargetScale; s != nil {
			for i := range v {
				v[i] = float64(float32(s.Unscale(v[i])))
			}
		}
		t.Data = v
	case "class", "class_name":
		t.Shape = []int{rows}
		classes := make([]int, rows)
		names := make([]string, rows)
		for r := range rows {
			best := 0
			for k, v := range out[r*n : (r+1)*n] {
				if v > out[r*n+best] {
					best = k
				}
			}
			classes[r], names[r] = best, m.card.ClassName(best)
		}
		if o.Name == "class" {
			t.Data = classes
		} else {
			t.Data = names
		}
	}
	return t
}

func widen(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// classify answers a PNG or JPEG body with the image's top classes,
// preprocessed as gozoo predict does.
func (s *Server) classify(e *exchange, m *model, deadline time.Time) {
	if m.layout == nil {
		e.fail(http.StatusBadRequest, "model %q does not take images (dataset %q, input %v)", m.name, m.card.Dataset, m.card.Shape)
		return
	}
	q := e.r.URL.Query()
	topK := 3
	if v := q.Get("top_k"); v != "" {
		k, err := strconv.Atoi(v)
		if err != nil || k < 1 || k > m.p.OutputSize() {
			e.fail(http.StatusBadRequest, "top_k must be an integer in 1..%d, got %q", m.p.OutputSize(), clipString(v, 16))
			return
		}
		topK = k
	}
	inv := imagein.InvertAuto
	if v := q.Get("invert"); v != "" {
		var err error
		if inv, err = imagein.ParseInvert(v); err != nil {
			e.fail(http.StatusBadRequest, "%v", err)
			return
		}
	}
	t0 := time.Now()
	body := s.readBody(e, deadline)
	if body == nil {
		return
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(body))
	if err == nil && cfg.Width*cfg.Height > MaxImagePixels {
		e.fail(http.StatusRequestEntityTooLarge, "the image is %dx%d, more than the server takes (%d pixels)", cfg.Width, cfg.Height, MaxImagePixels)
		return
	}
	img, err := imagein.Decode(bytes.NewReader(body))
	if err != nil {
		e.fail(http.StatusBadRequest, "%v", err)
		return
	}
	m.m.decode.Observe(time.Since(t0).Seconds())
	e.rows = 1
	ctx, cancel := context.WithDeadline(e.r.Context(), deadline)
	defer cancel()
	c, err := m.p.Classify(ctx, img, predict.ClassifyOptions{TopK: topK, Invert: inv})
	if err != nil {
		s.failRun(e, err)
		return
	}
	for _, p := range c.Probabilities {
		if math.IsNaN(p) {
			e.fail(http.StatusBadRequest, "the model's outputs for this image are not finite")
			return
		}
	}
	e.json(http.StatusOK, classifyResponse{ModelName: m.name, ModelVersion: Version, Class: c.Class, ClassName: c.ClassName, Probabilities: c.Probabilities, Top: c.Top})
}

func clipString(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
