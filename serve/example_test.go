package serve_test

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/predict"
	"github.com/gozoo/gozoo/serve"
	"github.com/gozoo/gozoo/zoo/mlp"
)

// A Go service mounts the server in its own mux, next to its own routes.
// (serve.LoadFiles or LoadDir load model files instead of Add.)
func Example() {
	model, _ := mlp.New(mlp.Config{Inputs: 4, Hidden: []int{8}, Outputs: 3}, rand.New(rand.NewPCG(1, 0))) // untrained
	card := &modelcard.Card{Dataset: "flowers", Shape: []int{4}, ClassNames: []string{"setosa", "versicolor", "virginica"}}
	p, err := predict.New(model, card, predict.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := serve.New(serve.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	if err := s.Add("flowers", p); err != nil {
		fmt.Println(err)
		return
	}
	mux := http.NewServeMux()
	mux.Handle("/v2/", s)
	mux.Handle("/metrics", s)
	mux.HandleFunc("/hello", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "hello") })
	ts := httptest.NewServer(mux)
	defer ts.Close()

	resp, err := http.Post(ts.URL+"/v2/models/flowers/infer", "application/json", strings.NewReader(
		`{"inputs": [{"name": "input", "shape": [2, 4], "datatype": "FP32", "data": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}],
		  "outputs": [{"name": "class_name"}]}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Status, strings.Contains(string(body), `"name":"class_name","datatype":"BYTES","shape":[2]`))
	// Output:
	// 200 OK true
}
