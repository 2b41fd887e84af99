// Command serve-client classifies images with a model that gozoo serve
// serves, over the Open Inference Protocol and nothing but the standard
// library: it reads the model's input shape from its metadata, sends each
// image's pixels as a UINT8 tensor (the server normalises them as the
// model card says) and prints the predicted class (docs/serving.md).
//
//	gozoo serve -model run/model.safetensors &
//	go run ./examples/serve-client -model model digit.png
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg"
	_ "image/png"
	"io"
	"net/http"
	"os"
)

func main() {
	server := flag.String("url", "http://127.0.0.1:8080", "the server")
	model := flag.String("model", "model", "the model's name")
	flag.Parse()
	if err := run(*server, *model, flag.Args(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "serve-client:", err)
		os.Exit(1)
	}
}

type tensor struct {
	Name     string          `json:"name"`
	Datatype string          `json:"datatype,omitempty"`
	Shape    []int           `json:"shape,omitempty"`
	Data     json.RawMessage `json:"data,omitempty"`
}

func run(server, model string, images []string, w io.Writer) error {
	if len(images) == 0 {
		return fmt.Errorf("usage: serve-client [-url URL] [-model NAME] IMAGE...")
	}
	var meta struct{ Inputs []tensor }
	if err := call("GET", server+"/v2/models/"+model, nil, &meta); err != nil {
		return err
	}
	shape := meta.Inputs[0].Shape // [-1, 784] or [-1, channels, height, width]
	channels, height, width := 1, 28, 28
	if len(shape) == 4 {
		channels, height, width = shape[1], shape[2], shape[3]
	}
	for _, path := range images {
		pixels, err := readPixels(path, channels, height, width)
		if err != nil {
			return err
		}
		data, _ := json.Marshal(pixels)
		req := map[string]any{
			"id":      path,
			"inputs":  []tensor{{Name: "input", Datatype: "UINT8", Shape: append([]int{1}, shape[1:]...), Data: data}},
			"outputs": []tensor{{Name: "class_name"}, {Name: "probabilities"}},
		}
		var resp struct{ Outputs []tensor }
		if err := call("POST", server+"/v2/models/"+model+"/infer", req, &resp); err != nil {
			return err
		}
		var names []string
		var probs []float64
		json.Unmarshal(resp.Outputs[0].Data, &names)
		json.Unmarshal(resp.Outputs[1].Data, &probs)
		best := 0
		for k, p := range probs {
			if p > probs[best] {
				best = k
			}
		}
		fmt.Fprintf(w, "%s: %s (p=%.3f)\n", path, names[0], probs[best])
	}
	return nil
}

// readPixels reads an image of the model's size as channel planes of
// 0..255 values (grey for one channel, else red, green, blue).
func readPixels(path string, channels, height, width int) ([]int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	b := img.Bounds()
	if b.Dx() != width || b.Dy() != height {
		return nil, fmt.Errorf("%s is %dx%d, the model takes %dx%d: resize it, or POST the file to the classify route", path, b.Dx(), b.Dy(), width, height)
	}
	pixels := make([]int, channels*height*width)
	for y := range height {
		for x := range width {
			at := img.At(b.Min.X+x, b.Min.Y+y)
			if channels == 1 {
				pixels[y*width+x] = int(color.GrayModel.Convert(at).(color.Gray).Y)
				continue
			}
			c := color.NRGBAModel.Convert(at).(color.NRGBA)
			for ch, v := range []uint8{c.R, c.G, c.B} {
				pixels[(ch*height+y)*width+x] = int(v)
			}
		}
	}
	return pixels, nil
}

// call sends a JSON request (none when body is nil) and decodes the
// answer, or returns the server's {"error": ...}.
func call(method, url string, body, answer any) error {
	var r io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		json.NewDecoder(resp.Body).Decode(&e)
		return fmt.Errorf("%s %s: %s: %s", method, url, resp.Status, e.Error)
	}
	return json.NewDecoder(resp.Body).Decode(answer)
}
