package serve

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// zeros is an endless body of '0' bytes.
type zeros struct{ left int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.left <= 0 {
		return 0, io.EOF
	}
	n := min(int64(len(p)), z.left)
	for i := range p[:n] {
		p[i] = '0'
	}
	z.left -= n
	return int(n), nil
}

// Hostile clients get clean statuses and the server keeps serving.
func TestHostileClients(t *testing.T) {
	s, ts := start(t, Options{Timeout: time.Second})
	x := scaled(digitPixels(0))
	good := inferBody("FP32", []int{1, 784}, x)
	url := ts.URL + "/v2/models/digits/infer"
	stillServes := func(t *testing.T) {
		t.Helper()
		decodeResponse(t, do(t, "POST", url, "application/json", strings.NewReader(good)))
	}

	t.Run("1 GB body, declared", func(t *testing.T) {
		req, _ := http.NewRequest("POST", url, &zeros{1 << 30})
		req.ContentLength = 1 << 30
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("status %d, want 413", resp.StatusCode)
		}
		stillServes(t)
	})
	t.Run("1 GB body, chunked", func(t *testing.T) {
		start := time.Now()
		req, _ := http.NewRequest("POST", url, io.MultiReader(strings.NewReader(`{"inputs":[{"data":[`), &zeros{1 << 30}))
		req.ContentLength = -1
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Errorf("status %d, want 413", resp.StatusCode)
			}
		} // else: the server closed the connection while the client was still sending
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("took %v: the server read far more than its limit", d)
		}
		stillServes(t)
	})
	t.Run("shape claims 2^31 values", func(t *testing.T) {
		for _, shape := range [][]int64{{1 << 31, 784}, {1 << 31, 1, 28, 28}, {1, 1 << 31}, {1 << 62, 784}, {-1, 784}} {
			body := fmt.Sprintf(`{"inputs":[{"name":"input","shape":%s,"datatype":"FP32","data":[0.5]}]}`, strings.ReplaceAll(fmt.Sprint(shape), " ", ","))
			a := do(t, "POST", url, "application/json", strings.NewReader(body))
			if a.status != http.StatusBadRequest {
				t.Errorf("shape %v: %d %s, want 400", shape, a.status, a.body)
			}
		}
		a := do(t, "POST", url, "application/json", strings.NewReader(`{"inputs":[{"name":"input","shape":[1e30,784],"datatype":"FP32","data":[0]}]}`))
		if a.status != http.StatusBadRequest {
			t.Errorf("shape [1e30 784]: %d %s, want 400", a.status, a.body)
		}
		stillServes(t)
	})
	t.Run("NaN and Inf", func(t *testing.T) {
		data, _ := json.Marshal(x)
		nums := string(data[1 : len(data)-1])
		for _, v := range []string{"NaN", `"NaN"`, "Infinity", "-Infinity", `"inf"`, "1e39", "-1e39", "1e400", "null", "true"} {
			body := `{"inputs":[{"name":"input","shape":[1,784],"datatype":"FP32","data":[` + v + nums[strings.Index(nums, ","):] + `]}]}`
			a := do(t, "POST", url, "application/json", strings.NewReader(body))
			if a.status != http.StatusBadRequest {
				t.Errorf("value %s: %d %s, want 400", v, a.status, a.body)
			}
		}
		// Finite but huge inputs can drive the outputs out of range: 200
		// with finite numbers, or 400, never a 500.
		huge := strings.TrimSuffix(strings.Repeat("3e38,", 784), ",")
		a := do(t, "POST", url, "application/json", strings.NewReader(`{"inputs":[{"name":"input","shape":[1,784],"datatype":"FP32","data":[`+huge+`]}]}`))
		if a.status != http.StatusOK && a.status != http.StatusBadRequest {
			t.Errorf("huge values: %d %s, want 200 or 400", a.status, a.body)
		}
		stillServes(t)
	})
	t.Run("one byte a second", func(t *testing.T) {
		conn, err := net.Dial("tcp", ts.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		start := time.Now()
		fmt.Fprintf(conn, "POST /v2/models/digits/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(good))
		done := make(chan struct{})
		go func() {
			defer close(done)
			for i := 0; i < len(good); i++ {
				if _, err := conn.Write([]byte{good[i]}); err != nil {
					return
				}
				select {
				case <-time.After(time.Second / 2):
				case <-done:
					return
				}
			}
		}()
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestTimeout {
			t.Errorf("status %d, want 408", resp.StatusCode)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("the slow client held its request for %v; the timeout is 1s", d)
		}
		stillServes(t)
	})
	t.Run("10,000 requests to an unknown model", func(t *testing.T) {
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
		defer client.CloseIdleConnections()
		for i := range 10000 {
			resp, err := client.Post(fmt.Sprintf("%s/v2/models/nobody-%d/infer", ts.URL, i), "application/json", strings.NewReader(good))
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound {
				t.Fatalf("request %d: status %d, want 404", i, resp.StatusCode)
			}
		}
		a := do(t, "GET", ts.URL+"/metrics", "", nil)
		if strings.Contains(string(a.body), "nobody-") {
			t.Errorf("unknown model names became metric labels")
		}
		if !strings.Contains(string(a.body), `gozoo_serve_requests_total{code="404",model="",route="infer"} 10000`) {
			t.Errorf("the metrics do not count the 10,000 unknown-model requests")
		}
		stillServes(t)
	})
	if !s.Ready() {
		t.Error("the server is no longer ready")
	}
}
