package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gozoo/gozoo/io/imagein"
	"github.com/gozoo/gozoo/io/loader"
	"github.com/gozoo/gozoo/io/mnist"
	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/optim"
	"github.com/gozoo/gozoo/predict"
	"github.com/gozoo/gozoo/recipes"
	"github.com/gozoo/gozoo/zoo"
	"github.com/gozoo/gozoo/zoo/cnn"
)

// Model files shared by the tests, written once by TestMain.
var (
	modelDir  string // digits.safetensors (trained MLP), lenet.safetensors (untrained)
	digitsMLP string
	lenetFile string
	testSet   *mnist.Dataset
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gozoo-serve-test")
	if err != nil {
		panic(err)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		if err := writeModels(dir); err != nil {
			fmt.Fprintln(os.Stderr, "serve test:", err)
			return 1
		}
		return m.Run()
	}()
	os.Exit(code)
}

// writeModels trains a small MLP on 3000 MNIST images for two epochs
// (about a second; some 85% test accuracy) and saves it with an untrained
// LeNet-5.
func writeModels(dir string) error {
	modelDir = dir
	mdir, err := mnist.DefaultDir()
	if err != nil {
		return err
	}
	train, test, err := mnist.Load(mdir)
	if err != nil {
		return err
	}
	testSet = test
	first := make([]int, 3000)
	for i := range first {
		first[i] = i
	}
	sub, err := loader.Subset(train, first)
	if err != nil {
		return err
	}
	m, err := zoo.New("mlp", []byte(`{"inputs":784,"hidden":[32],"outputs":10}`), rand.New(rand.NewPCG(1, 0)))
	if err != nil {
		return err
	}
	opt, err := optim.New("adam", optim.Common{LearningRate: 0.003})
	if err != nil {
		return err
	}
	tr, err := recipes.NewTrainer(m, recipes.LossFor(nil), opt, 1)
	if err != nil {
		return err
	}
	defer tr.Close()
	if _, err := tr.Fit(context.Background(), sub, recipes.FitOptions{Epochs: 2, BatchSize: 32}); err != nil {
		return err
	}
	digitsMLP = filepath.Join(dir, "digits.safetensors")
	if err := zoo.Save(digitsMLP, m, modelcard.MNIST([]int{784})); err != nil {
		return err
	}
	lenet, err := cnn.NewLeNet5(cnn.LeNet5Config{}, rand.New(rand.NewPCG(5, 6)))
	if err != nil {
		return err
	}
	lenetFile = filepath.Join(dir, "lenet.safetensors")
	return zoo.Save(lenetFile, lenet, modelcard.MNIST([]int{1, 28, 28}))
}

// start serves the test models on a loopback port.
func start(t *testing.T, opts Options) (*Server, *httptest.Server) {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.LoadFiles(digitsMLP, lenetFile); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		ts.Close()
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s, ts
}

type answer struct {
	status int
	body   []byte
}

func do(t *testing.T, method, url, contentType string, body io.Reader) answer {
	t.Helper()
	a, _ := send(t, method, url, body, "Content-Type", contentType)
	return a
}

// send makes a request with the given header names and values (empty
// values are left out) and returns the answer and its header.
func send(t *testing.T, method, url string, body io.Reader, header ...string) (answer, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] != "" {
			req.Header.Set(header[i], header[i+1])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, data}, resp.Header
}

// inferBody is a request of one FP32 or UINT8 input.
func inferBody(datatype string, shape []int, data any, outputs ...string) string {
	req := map[string]any{"id": "t1", "inputs": []map[string]any{{"name": "input", "shape": shape, "datatype": datatype, "data": data}}}
	if len(outputs) > 0 {
		var os []map[string]string
		for _, o := range outputs {
			os = append(os, map[string]string{"name": o})
		}
		req["outputs"] = os
	}
	b, _ := json.Marshal(req)
	return string(b)
}

type responseJSON struct {
	ModelName    string `json:"model_name"`
	ModelVersion string `json:"model_version"`
	ID           string `json:"id"`
	Outputs      []struct {
		Name     string          `json:"name"`
		Datatype string          `json:"datatype"`
		Shape    []int           `json:"shape"`
		Data     json.RawMessage `json:"data"`
	} `json:"outputs"`
}

func decodeResponse(t *testing.T, a answer) (responseJSON, map[string]json.RawMessage) {
	t.Helper()
	if a.status != http.StatusOK {
		t.Fatalf("status %d: %s", a.status, a.body)
	}
	var r responseJSON
	if err := json.Unmarshal(a.body, &r); err != nil {
		t.Fatalf("%v: %s", err, a.body)
	}
	out := map[string]json.RawMessage{}
	for _, o := range r.Outputs {
		out[o.Name] = o.Data
	}
	return r, out
}

func digitPixels(i int) []uint8 { return testSet.Image(i) }

func scaled(px []uint8) []float32 {
	x := make([]float32, len(px))
	for i, v := range px {
		x[i] = float32(v) / 255
	}
	return x
}

func pngOf(t *testing.T, px []uint8) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 28, 28))
	for i, v := range px {
		img.SetGray(i%28, i/28, color.Gray{Y: v})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Every route of the protocol, and each error status, with the trained MLP.
func TestRoutes(t *testing.T) {
	s, ts := start(t, Options{})
	px := digitPixels(0)
	x := scaled(px)
	nested := make([][]float32, 28)
	for r := range nested {
		nested[r] = x[r*28 : (r+1)*28]
	}
	nested4 := [][][][]float32{{nested}}
	jsonType := "application/json"
	tests := []struct {
		name, method, path, body string
		status                   int
		contains                 string
	}{
		{"server metadata", "GET", "/v2", "", 200, `"name":"gozoo"`},
		{"live", "GET", "/v2/health/live", "", 200, `"live":true`},
		{"ready", "GET", "/v2/health/ready", "", 200, `"ready":true`},
		{"ready by HEAD", "HEAD", "/v2/health/ready", "", 200, ""},
		{"model metadata", "GET", "/v2/models/digits", "", 200, `"inputs":[{"name":"input","datatype":"FP32","shape":[-1,784]}]`},
		{"lenet metadata", "GET", "/v2/models/lenet", "", 200, `"shape":[-1,1,28,28]`},
		{"metadata outputs", "GET", "/v2/models/digits", "", 200, `{"name":"class_name","datatype":"BYTES","shape":[-1]}`},
		{"versioned metadata", "GET", "/v2/models/digits/versions/1", "", 200, `"versions":["1"]`},
		{"model ready", "GET", "/v2/models/digits/ready", "", 200, `"ready":true`},
		{"versioned ready", "GET", "/v2/models/digits/versions/1/ready", "", 200, `"ready":true`},
		{"infer flat", "POST", "/v2/models/digits/infer", inferBody("FP32", []int{1, 784}, x), 200, `"model_name":"digits","model_version":"1","id":"t1"`},
		{"infer versioned", "POST", "/v2/models/digits/versions/1/infer", inferBody("FP32", []int{1, 784}, x, "class"), 200, `"outputs":[{"name":"class","datatype":"INT64","shape":[1],"data":[`},
		{"infer nested", "POST", "/v2/models/digits/infer", inferBody("FP32", []int{1, 784}, [][]float32{x}, "class_name"), 200, `"shape":[1]`},
		{"infer lenet nested", "POST", "/v2/models/lenet/infer", inferBody("FP32", []int{1, 1, 28, 28}, nested4, "logits"), 200, `"shape":[1,10]`},
		{"infer lenet flattened", "POST", "/v2/models/lenet/infer", inferBody("FP32", []int{1, 784}, x, "probabilities"), 200, `"datatype":"FP64","shape":[1,10]`},
		{"infer uint8", "POST", "/v2/models/digits/infer", inferBody("UINT8", []int{1, 784}, intsOf(px), "class"), 200, `"name":"class"`},
		{"classify png", "POST", "/v2/models/digits/classify", string(pngOf(t, px)), 200, `"top":[{"class":`},
		{"classify top 1", "POST", "/v2/models/lenet/classify?top_k=1&invert=no", string(pngOf(t, px)), 200, `"model_name":"lenet"`},

		{"bad JSON", "POST", "/v2/models/digits/infer", `{"inputs": [`, 400, "bad JSON"},
		{"no inputs", "POST", "/v2/models/digits/infer", `{"inputs": []}`, 400, "one input"},
		{"wrong shape", "POST", "/v2/models/digits/infer", inferBody("FP32", []int{1, 783}, x[:783]), 400, "does not fit"},
		{"lenet wrong shape", "POST", "/v2/models/lenet/infer", inferBody("FP32", []int{1, 28, 28}, x), 400, "[-1 1 28 28]"},
		{"wrong size", "POST", "/v2/models/digits/infer", inferBody("FP32", []int{2, 784}, x), 400, "claims 2 rows; the data holds at most 1"},
		{"too few values", "POST", "/v2/models/digits/infer", inferBody("FP32", []int{1, 784}, x[:700]), 400, "data holds 700 values, shape [1 784] needs 784"},
		{"too many values", "POST", "/v2/models/digits/infer", inferBody("FP32", []int{1, 784}, append(x, x...)), 400, "more values"},
		{"wrong nesting", "POST", "/v2/models/lenet/infer", inferBody("FP32", []int{1, 1, 28, 28}, [][]float32{x}), 400, "nested 2 levels deep"},
		{"ragged nesting", "POST", "/v2/models/lenet/infer", inferBody("FP32", []int{1, 1, 28, 28}, [][][][]float32{{append(nested[:27:27], x[:27])}}), 400, "array of 27"},
		{"zero rows", "POST", "/v2/models/digits/infer", inferBody("FP32", []int{0, 784}, []float32{}), 400, "positive"},
		{"wrong datatype", "POST", "/v2/models/digits/infer", inferBody("INT32", []int{1, 784}, intsOf(px)), 400, `datatype "INT32" is not supported`},
		{"uint8 out of range", "POST", "/v2/models/digits/infer", inferBody("UINT8", []int{1, 784}, append([]int{256}, intsOf(px)[1:]...)), 400, "0..255"},
		{"string data", "POST", "/v2/models/digits/infer", inferBody("FP32", []int{1, 784}, strings.Split(strings.Repeat("a", 784), "")), 400, "string"},
		{"no data", "POST", "/v2/models/digits/infer", `{"inputs":[{"name":"input","shape":[1,784],"datatype":"FP32"}]}`, 400, "no data"},
		{"unknown output", "POST", "/v2/models/digits/infer", inferBody("FP32", []int{1, 784}, x, "embedding"), 400, `no output "embedding"`},
		{"binary tensors, header too long", "POST", "/v2/models/digits/infer", "", 400, "Inference-Header-Content-Length is \"10\""},
		{"classify garbage", "POST", "/v2/models/digits/classify", "GIF89a....", 400, "not a PNG or JPEG"},
		{"classify bad top_k", "POST", "/v2/models/digits/classify?top_k=11", string(pngOf(t, px)), 400, "top_k"},
		{"classify bad invert", "POST", "/v2/models/digits/classify?invert=maybe", string(pngOf(t, px)), 400, "invert"},
		{"unknown model", "POST", "/v2/models/resnet/infer", inferBody("FP32", []int{1, 784}, x), 404, `unknown model "resnet"`},
		{"unknown model metadata", "GET", "/v2/models/resnet", "", 404, "unknown model"},
		{"unknown version", "GET", "/v2/models/digits/versions/2", "", 404, `no version "2"`},
		{"unknown route", "GET", "/v1/models/digits", "", 404, "no route"},
		{"unknown action", "GET", "/v2/models/digits/explain", "", 404, "no route"},
		{"wrong method", "GET", "/v2/models/digits/infer", "", 405, "wants POST"},
		{"too large", "POST", "/v2/models/digits/infer", strings.Repeat(" ", DefaultMaxBody+1), 413, "more than the server takes"},
		{"metrics", "GET", "/metrics", "", 200, "gozoo_serve_requests_total"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, ts.URL+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", jsonType)
			if strings.HasPrefix(tc.name, "binary tensors") {
				req.Header.Set("Inference-Header-Content-Length", "10")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			text := string(body)
			if tc.status >= 400 {
				var e struct{ Error string }
				if json.Unmarshal(body, &e) != nil || e.Error == "" {
					t.Errorf("error body %q is not {\"error\": ...}", body)
				}
				text = e.Error
			}
			if resp.StatusCode != tc.status || !strings.Contains(text, tc.contains) {
				t.Errorf("%s %s: status %d %s, want %d with %q", tc.method, tc.path, resp.StatusCode, clipString(string(body), 300), tc.status, tc.contains)
			}
		})
	}

	// Not ready while a model loads, nor while draining; live throughout.
	if err := s.reserve("loading"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path   string
		status int
	}{{"/v2/health/ready", 503}, {"/v2/models/loading/ready", 503}, {"/v2/models/loading", 503}, {"/v2/health/live", 200}} {
		if a := do(t, "GET", ts.URL+c.path, "", nil); a.status != c.status {
			t.Errorf("GET %s while loading: %d %s, want %d", c.path, a.status, a.body, c.status)
		}
	}
	if a := do(t, "POST", ts.URL+"/v2/models/loading/infer", jsonType, strings.NewReader(inferBody("FP32", []int{1, 784}, x))); a.status != 503 {
		t.Errorf("infer while loading: %d %s, want 503", a.status, a.body)
	}
	s.release("loading")
	s.Drain()
	for _, c := range []struct {
		path   string
		status int
	}{{"/v2/health/ready", 503}, {"/v2/models/digits/ready", 503}, {"/v2/health/live", 200}} {
		if a := do(t, "GET", ts.URL+c.path, "", nil); a.status != c.status {
			t.Errorf("GET %s while draining: %d %s, want %d", c.path, a.status, a.body, c.status)
		}
	}
	// Draining still answers the requests that come.
	if a := do(t, "POST", ts.URL+"/v2/models/digits/infer", jsonType, strings.NewReader(inferBody("FP32", []int{1, 784}, x))); a.status != 200 {
		t.Errorf("infer while draining: %d %s, want 200", a.status, a.body)
	}
}

func intsOf(px []uint8) []int {
	out := make([]int, len(px))
	for i, v := range px {
		out[i] = int(v)
	}
	return out
}

// The answers are those of the library: the class of gozoo predict's path
// (imagein and Classify) for the same pixels, sent as FP32 pixel/255, as
// UINT8 pixels, and as a PNG to the classify route.
func TestSameClassAsPredict(t *testing.T) {
	_, ts := start(t, Options{})
	p, err := predict.Load(digitsMLP)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	correct := 0
	for i := range 20 {
		px := digitPixels(i)
		img, err := imagein.Decode(bytes.NewReader(pngOf(t, px)))
		if err != nil {
			t.Fatal(err)
		}
		want, err := p.Classify(context.Background(), img, predict.ClassifyOptions{TopK: 3, Invert: imagein.InvertAuto})
		if err != nil {
			t.Fatal(err)
		}
		if want.Class == testSet.Label(i) {
			correct++
		}
		for _, body := range []string{
			inferBody("FP32", []int{1, 784}, scaled(px)),
			inferBody("UINT8", []int{1, 784}, intsOf(px)),
		} {
			_, out := decodeResponse(t, do(t, "POST", ts.URL+"/v2/models/digits/infer", "application/json", strings.NewReader(body)))
			var class []int
			var name []string
			var probs []float64
			json.Unmarshal(out["class"], &class)
			json.Unmarshal(out["class_name"], &name)
			json.Unmarshal(out["probabilities"], &probs)
			if len(class) != 1 || class[0] != want.Class || name[0] != want.ClassName {
				t.Errorf("digit %d: class %v %v, gozoo predict says %d", i, class, name, want.Class)
			}
			for k := range probs {
				if math.Abs(probs[k]-want.Probabilities[k]) > 1e-6 {
					t.Errorf("digit %d class %d: p %v, gozoo predict %v", i, k, probs[k], want.Probabilities[k])
				}
			}
		}
		a := do(t, "POST", ts.URL+"/v2/models/digits/classify", "image/png", bytes.NewReader(pngOf(t, px)))
		var c classifyResponse
		if err := json.Unmarshal(a.body, &c); err != nil || a.status != 200 {
			t.Fatalf("classify: %d %s", a.status, a.body)
		}
		if c.Class != want.Class || len(c.Top) != 3 || c.Top[0] != want.Top[0] {
			t.Errorf("digit %d: classify says %+v, gozoo predict %+v", i, c, want)
		}
		for k := range c.Probabilities {
			if c.Probabilities[k] != want.Probabilities[k] {
				t.Errorf("digit %d: classify probabilities %v, gozoo predict %v", i, c.Probabilities, want.Probabilities)
				break
			}
		}
	}
	if correct < 15 {
		t.Errorf("the test model gets %d of 20 digits right", correct)
	}
}

// Concurrent requests are coalesced into batches, and each answer is bit
// for bit the model's output for that request alone.
func TestBatchedAnswersEqualAlone(t *testing.T) {
	s, ts := start(t, Options{MaxBatch: 16, MaxDelay: 20e6})
	for _, name := range []string{"digits", "lenet"} {
		t.Run(name, func(t *testing.T) {
			path := digitsMLP
			if name == "lenet" {
				path = lenetFile
			}
			alone, err := predict.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			defer alone.Close()
			const n = 48
			inputs := make([][]float32, n)
			rowsOf := func(i int) int { return 1 + i%3 } // requests of 1 to 3 rows
			rng := rand.New(rand.NewPCG(uint64(len(name)), 9))
			for i := range inputs {
				inputs[i] = make([]float32, rowsOf(i)*784)
				for k := range inputs[i] {
					inputs[i][k] = rng.Float32()
				}
			}
			// However fast the model, the first batch waits for 8
			// requests to queue (for at most 2 s), so that the test
			// cannot pass without batching.
			m, _ := s.lookup(name)
			var once sync.Once
			m.b.hold = func() {
				once.Do(func() {
					for end := time.Now().Add(2 * time.Second); len(m.b.queue) < 8 && time.Now().Before(end); {
						time.Sleep(time.Millisecond)
					}
				})
			}
			before := batchCount(t, s, name)
			var wg sync.WaitGroup
			got := make([][]float32, n)
			errs := make([]error, n)
			for i := range n {
				wg.Go(func() {
					body := inferBody("FP32", []int{rowsOf(i), 784}, inputs[i], "logits")
					resp, err := http.Post(ts.URL+"/v2/models/"+name+"/infer", "application/json", strings.NewReader(body))
					if err != nil {
						errs[i] = err
						return
					}
					defer resp.Body.Close()
					var r struct {
						Outputs []struct{ Data []float32 }
					}
					if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || resp.StatusCode != 200 || len(r.Outputs) != 1 {
						errs[i] = fmt.Errorf("status %d, %v", resp.StatusCode, err)
						return
					}
					got[i] = r.Outputs[0].Data
				})
			}
			wg.Wait()
			for i := range n {
				if errs[i] != nil {
					t.Fatalf("request %d: %v", i, errs[i])
				}
				want, err := alone.Predict(context.Background(), inputs[i])
				if err != nil {
					t.Fatal(err)
				}
				if len(got[i]) != len(want) {
					t.Fatalf("request %d: %d outputs, want %d", i, len(got[i]), len(want))
				}
				for k := range want {
					if math.Float32bits(got[i][k]) != math.Float32bits(want[k]) {
						t.Fatalf("request %d output %d: %v batched, %v alone", i, k, got[i][k], want[k])
					}
				}
			}
			runs := batchCount(t, s, name) - before
			if runs >= n {
				t.Errorf("%d requests ran in %d model runs: nothing was batched", n, runs)
			}
			t.Logf("%d concurrent requests ran in %d model runs", n, runs)
		})
	}
}

// batchCount reads the number of model runs of a model from the metrics.
func batchCount(t *testing.T, s *Server, model string) int {
	t.Helper()
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	prefix := fmt.Sprintf(`gozoo_serve_batch_requests_count{model=%q} `, model)
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if v, ok := strings.CutPrefix(line, prefix); ok {
			var n int
			fmt.Sscan(v, &n)
			return n
		}
	}
	return 0
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.safetensors")
	os.WriteFile(corrupt, []byte("\xff\xff\xff\xff\xff\xff\xff\x7fnot a model"), 0o644)
	empty := t.TempDir()
	tests := []struct {
		name string
		load func(s *Server) error
		want string
	}{
		{"missing file", func(s *Server) error { return s.LoadFiles("/nonexistent/m.safetensors") }, "/nonexistent/m.safetensors"},
		{"corrupt file", func(s *Server) error { return s.LoadFiles(digitsMLP, corrupt) }, corrupt},
		{"same name twice", func(s *Server) error { return s.LoadFiles(digitsMLP, digitsMLP) }, `"digits" is already served`},
		{"bad name", func(s *Server) error { return s.Load("a/b", digitsMLP) }, "model name"},
		{"empty folder", func(s *Server) error { return s.LoadDir(empty) }, "holds no .safetensors"},
		{"missing folder", func(s *Server) error { return s.LoadDir("/nonexistent") }, "/nonexistent"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			err = tc.load(s)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one naming %q", err, tc.want)
			}
			if len(s.Models()) != 0 || s.Ready() {
				t.Errorf("after a failed load the server has models %v (ready %v)", s.Models(), s.Ready())
			}
		})
	}
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.LoadDir(modelDir); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.Models(), ","); got != "digits,lenet" || !s.Ready() {
		t.Errorf("LoadDir serves %s (ready %v), want digits,lenet", got, s.Ready())
	}
	for _, o := range []Options{{MaxBatch: -1}, {MaxBatch: 1 << 17}, {MaxDelay: -1}, {MaxBody: -1}, {Timeout: -1}} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
}
