package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// servedProcess is a running gozoo serve.
type servedProcess struct {
	cmd  *exec.Cmd
	addr string
	done chan struct{} // closed when it exits
	mu   sync.Mutex
	logs []string
}

func (p *servedProcess) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.logs, "\n")
}

// startServe runs gozoo serve on a free loopback port and waits until it
// says it is serving.
func startServe(t *testing.T, args ...string) *servedProcess {
	t.Helper()
	p := &servedProcess{cmd: exec.Command(gozooBinary(t), append([]string{"serve", "-addr", "127.0.0.1:0"}, args...)...), done: make(chan struct{})}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var rec struct{ Msg, Addr string }
			json.Unmarshal(sc.Bytes(), &rec)
			if rec.Msg == "serving" {
				addr <- rec.Addr
			}
			p.mu.Lock()
			p.logs = append(p.logs, sc.Text())
			p.mu.Unlock()
		}
		p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	select {
	case p.addr = <-addr:
	case <-p.done:
		t.Fatalf("gozoo serve exited: %s", p.log())
	case <-time.After(20 * time.Second):
		t.Fatalf("gozoo serve did not start: %s", p.log())
	}
	return p
}

// inferOutputs posts an infer request and returns its outputs by name,
// failing the test on any status but 200.
func inferOutputs(t *testing.T, url string, body []byte) map[string]json.RawMessage {
	t.Helper()
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Outputs []struct {
			Name string
			Data json.RawMessage
		}
	}
	err = json.NewDecoder(resp.Body).Decode(&r)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("POST %s: status %d, %v", url, resp.StatusCode, err)
	}
	got := map[string]json.RawMessage{}
	for _, o := range r.Outputs {
		got[o.Name] = o.Data
	}
	return got
}

// The protocol's own request shape (one FP32 input of shape [1, 784])
// gets the class that gozoo predict gives for the same pixels; SIGTERM
// stops accepting, answers the requests in flight, and exits 0.
func TestServeLikePredictAndDrain(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on MNIST")
	}
	model, test := trainDigitModel(t)
	dir := t.TempDir()
	var pngs []string
	for i := range 10 {
		img := image.NewGray(image.Rect(0, 0, 28, 28))
		for k, v := range test.Image(i) {
			img.SetGray(k%28, k/28, color.Gray{Y: v})
		}
		pngs = append(pngs, filepath.Join(dir, fmt.Sprintf("digit%d.png", i)))
		writeImage(t, pngs[i], img)
	}
	out, errOut, code := runGozoo(t, append([]string{"predict", "-json", "-model", model}, pngs...)...)
	if code != 0 {
		t.Fatalf("gozoo predict: %s", errOut)
	}
	var want []predictJSON
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var p predictJSON
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		want = append(want, p)
	}

	p := startServe(t, "-model", model)
	url := "http://" + p.addr + "/v2/models/digits/infer"
	bodyOf := func(i int) []byte {
		x := make([]float32, 784)
		for k, v := range test.Image(i) {
			x[k] = float32(v) / 255
		}
		data, _ := json.Marshal(x)
		return []byte(fmt.Sprintf(`{"id": "%d", "inputs": [{"name": "input0", "shape": [1, 784], "datatype": "FP32", "data": %s}]}`, i, data))
	}
	for i := range 10 {
		got := inferOutputs(t, url, bodyOf(i))
		var class []int
		var probs []float64 // row-major [1, 10]
		json.Unmarshal(got["class"], &class)
		json.Unmarshal(got["probabilities"], &probs)
		if len(class) != 1 || class[0] != want[i].Class {
			t.Errorf("digit %d: the server says class %v, gozoo predict %d", i, class, want[i].Class)
		}
		for k := range want[i].Probabilities {
			if len(probs) != 10 || math.Abs(probs[k]-want[i].Probabilities[k]) > 1e-6 {
				t.Errorf("digit %d class %d: p %v served, %v by gozoo predict", i, k, probs, want[i].Probabilities[k])
				break
			}
		}
	}

	// Eight requests in flight: headers and half the body sent.
	const inflight = 8
	conns := make([]net.Conn, inflight)
	for i := range conns {
		c, err := net.Dial("tcp", p.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		body := bodyOf(i)
		fmt.Fprintf(c, "POST /v2/models/digits/infer HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", p.addr, len(body))
		c.Write(body[:len(body)/2])
		conns[i] = c
	}
	time.Sleep(300 * time.Millisecond)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	select {
	case <-p.done:
		t.Fatalf("gozoo serve exited with requests in flight: %s", p.log())
	default:
	}
	if c, err := net.DialTimeout("tcp", p.addr, time.Second); err == nil {
		c.Close()
		t.Errorf("gozoo serve still accepts connections after SIGTERM")
	}
	for i, c := range conns {
		c.Write(bodyOf(i)[len(bodyOf(i))/2:])
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("request %d in flight at SIGTERM: %v", i, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("request %d in flight at SIGTERM: status %d, want 200", i, resp.StatusCode)
		}
	}
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("gozoo serve did not exit after SIGTERM: %s", p.log())
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit status %d after SIGTERM, want 0: %s", code, p.log())
	}
	logs := p.log()
	for _, want := range []string{`"msg":"draining"`, `"msg":"stopped"`, `"msg":"request"`, `"status":200`, `"model":"digits"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("the logs lack %s:\n%s", want, logs)
		}
	}
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64 // 0: an error
	}{
		{"8MiB", 8 << 20}, {"512KiB", 512 << 10}, {"1GiB", 1 << 30}, {"2MB", 2e6}, {"3kB", 3000}, {"100000", 100000}, {"10B", 10},
		{"", 0}, {"0", 0}, {"-1MiB", 0}, {"8XB", 0}, {"MiB", 0}, {"2048GiB", 0}, {"1.5MiB", 0},
	} {
		got, err := parseSize(tc.in)
		if (err != nil) != (tc.want == 0) || got != tc.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}
