package quantize

import (
	"context"
	"encoding/json"
	"flag"
	"github.com/gozoo/gozoo/backend"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/io/modelfile"
	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/predict"
	"github.com/gozoo/gozoo/zoo"
	"github.com/gozoo/gozoo/zoo/cnn"
	"github.com/gozoo/gozoo/zoo/mlp"
)

// Quantized weights load within half a scale step of the originals, other
// parameters exactly, and the file is about a quarter of the float32 one.
func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name  string
		model zoo.Model
		card  *modelcard.Card
	}{
		{"mlp", must(mlp.New(mlp.Paddle(), rand.New(rand.NewPCG(1, 0)))), modelcard.MNIST([]int{784})},
		{"lenet5", must(cnn.NewLeNet5(cnn.LeNet5Config{}, rand.New(rand.NewPCG(1, 0)))), modelcard.MNIST([]int{1, 28, 28})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			floatPath, intPath := filepath.Join(dir, "f32.safetensors"), filepath.Join(dir, "int8.safetensors")
			// A zero channel and an exact maximum exercise the edges.
			w := tc.model.Params()[0].Data()
			w[0] = 0
			if err := zoo.Save(floatPath, tc.model, tc.card); err != nil {
				t.Fatal(err)
			}
			rep, err := Save(intPath, tc.model, tc.card)
			if err != nil {
				t.Fatal(err)
			}
			fs, _ := os.Stat(floatPath)
			is, _ := os.Stat(intPath)
			if ratio := float64(is.Size()) / float64(fs.Size()); ratio > 0.3 {
				t.Errorf("int8 file is %.3f of the float32 file (%d / %d bytes)", ratio, is.Size(), fs.Size())
			}
			raw, err := modelfile.ReadFile(intPath)
			if err != nil {
				t.Fatal(err)
			}
			scales := map[string][]float32{}
			for _, ten := range raw.Tensors {
				if strings.HasPrefix(ten.Name, zoo.ScalePrefix) {
					scales[strings.TrimPrefix(ten.Name, zoo.ScalePrefix)] = ten.Data
				}
			}
			loaded, card, err := zoo.Load(intPath)
			if err != nil {
				t.Fatal(err)
			}
			if card == nil || card.Dataset != "mnist" {
				t.Errorf("card %+v", card)
			}
			for i, p := range loaded.Params() {
				orig := tc.model.Params()[i].Data()
				s, quantized := scales[p.Name]
				maxScale := 0.0
				for _, v := range s {
					maxScale = math.Max(maxScale, float64(v))
				}
				for j, v := range p.Data() {
					d := math.Abs(float64(v) - float64(orig[j]))
					if (!quantized && d != 0) || (quantized && d > maxScale/2+1e-7) {
						t.Fatalf("%s[%d] = %v, was %v (quantized %v, largest scale %v)", p.Name, j, v, orig[j], quantized, maxScale)
					}
				}
			}
			if len(rep.Weights) == 0 || rep.Int8Bytes*10 > rep.FloatBytes*3 {
				t.Errorf("report %+v", rep)
			}
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// numpy, reading the int8 file on its own (scripts/gozoo_interop.py),
// computes the logits gozoo computes from it.
func TestNumpyReadsInt8Files(t *testing.T) {
	if _, err := exec.Command("/usr/bin/python3", "-c", "import numpy").CombinedOutput(); err != nil {
		t.Skip("python3 with numpy is not installed")
	}
	m := must(mlp.New(mlp.Config{Inputs: 6, Hidden: []int{5}, Outputs: 3}, rand.New(rand.NewPCG(2, 0))))
	card := &modelcard.Card{Dataset: "mine", Shape: []int{6}}
	dir := t.TempDir()
	path := filepath.Join(dir, "int8.safetensors")
	if _, err := Save(path, m, card); err != nil {
		t.Fatal(err)
	}
	x := []float32{0.5, -1, 2, 0, 1, -0.25, 1, 1, 1, -1, -1, -1}
	inputs := filepath.Join(dir, "x.f32")
	buf := make([]byte, 0, 4*len(x))
	for _, v := range x {
		b := math.Float32bits(v)
		buf = append(buf, byte(b), byte(b>>8), byte(b>>16), byte(b>>24))
	}
	if err := os.WriteFile(inputs, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("/usr/bin/python3", "../scripts/gozoo_interop.py", "logits", path, inputs, "2").CombinedOutput()
	if err != nil {
		t.Fatalf("numpy reader: %v\n%s", err, out)
	}
	var want [][]float64
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	p, err := predict.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	got, err := p.Predict(context.Background(), x)
	if err != nil {
		t.Fatal(err)
	}
	for r := range want {
		for c := range want[r] {
			if math.Abs(float64(got[r*3+c])-want[r][c]) > 1e-5 {
				t.Errorf("logit [%d][%d]: gozoo %v, numpy %v", r, c, got[r*3+c], want[r][c])
			}
		}
	}
}

func TestBadQuantizedFiles(t *testing.T) {
	m := must(mlp.New(mlp.Config{Inputs: 4, Hidden: []int{3}, Outputs: 2}, rand.New(rand.NewPCG(2, 0))))
	good, _, err := File(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		edit func(f *modelfile.File)
		want string
	}{
		{"no metadata", func(f *modelfile.File) { delete(f.Metadata, zoo.KeyQuantization) }, "int8 but the file has no"},
		{"unknown scheme", func(f *modelfile.File) {
			f.Metadata[zoo.KeyQuantization] = `{"scheme":"int4","weights":{}}`
		}, `unknown quantization scheme "int4"`},
		{"missing scale", func(f *modelfile.File) {
			var keep []modelfile.Tensor
			for _, t := range f.Tensors {
				if t.Name != zoo.ScalePrefix+"dense1/weight" {
					keep = append(keep, t)
				}
			}
			f.Tensors = keep
		}, "has no float32 scale tensor"},
		{"wrong axis", func(f *modelfile.File) {
			f.Metadata[zoo.KeyQuantization] = `{"scheme":"` + zoo.Int8Scheme + `","weights":{"dense1/weight":0,"dense2/weight":1}}`
		}, "channel axis 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &modelfile.File{Metadata: map[string]string{}, Tensors: append([]modelfile.Tensor(nil), good.Tensors...)}
			for k, v := range good.Metadata {
				f.Metadata[k] = v
			}
			tc.edit(f)
			if _, _, err := zoo.FromFile(f); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

var update = flag.Bool("update", false, "rewrite the golden int8 file")

// The committed format-version-2 file (int8 weights) always loads and
// predicts the outputs recorded when it was written, with the BLAS they were
// recorded with (gonum's).
func TestGoldenInt8File(t *testing.T) {
	if err := backend.Use(backend.Gonum); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { backend.Use("") })
	path, outputs := filepath.Join("testdata", "mlp_int8_v2.safetensors"), filepath.Join("testdata", "mlp_int8_v2_outputs.json")
	x := make([]float32, 2*6)
	for i := range x {
		x[i] = float32(math.Sin(float64(i)))
	}
	if *update {
		m := must(mlp.New(mlp.Config{Inputs: 6, Hidden: []int{5}, Outputs: 3, Activation: "tanh"}, rand.New(rand.NewPCG(7, 7))))
		if _, err := Save(path, m, &modelcard.Card{Dataset: "golden", Shape: []int{6}}); err != nil {
			t.Fatal(err)
		}
	}
	p, err := predict.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	got, err := p.Predict(context.Background(), x)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		data, _ := json.Marshal(got)
		if err := os.WriteFile(outputs, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := modelfile.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if raw.Metadata[modelfile.KeyFormatVersion] != "2" {
		t.Errorf("format_version %q", raw.Metadata[modelfile.KeyFormatVersion])
	}
	data, err := os.ReadFile(outputs)
	if err != nil {
		t.Fatal(err)
	}
	var want []float32
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("output %d = %v, golden %v", i, got[i], want[i])
		}
	}
}
