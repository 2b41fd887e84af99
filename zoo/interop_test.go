package zoo

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gozoo/gozoo/io/modelfile"
	"github.com/gozoo/gozoo/nn"
	"github.com/gozoo/gozoo/zoo/mlp"
)

var update = flag.Bool("update", false, "rewrite the golden model files in testdata")

func outputs(t *testing.T, m nn.Model, x []float32, rows int) []float32 {
	t.Helper()
	p, err := nn.Compile(m, nn.Evaluation, rows, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	copy(p.Input(), x)
	if err := p.Run(nil); err != nil {
		t.Fatal(err)
	}
	return append([]float32(nil), p.Outputs()...)
}

// A numpy-only reader (scripts/gozoo_interop.py) computes an MLP's logits
// from the model file; they must match Go's to 1e-5.
func TestNumpyReadsModelFiles(t *testing.T) {
	if err := exec.Command("/usr/bin/python3", "-c", "import numpy").Run(); err != nil {
		t.Skip("python3 with numpy is not installed (.ci/run installs python3-numpy)")
	}
	for _, act := range []string{"relu", "tanh", "sigmoid"} {
		t.Run(act, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(4, 2))
			m, err := mlp.New(mlp.Config{Inputs: 7, Hidden: []int{6, 5}, Outputs: 4, Activation: act}, rng)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			model := filepath.Join(dir, "m.safetensors")
			if err := Save(model, m, nil); err != nil {
				t.Fatal(err)
			}
			const rows = 5
			x := make([]float32, rows*7)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			var buf bytes.Buffer
			binary.Write(&buf, binary.LittleEndian, x)
			inputs := filepath.Join(dir, "x.f32")
			if err := os.WriteFile(inputs, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command("/usr/bin/python3", "../scripts/gozoo_interop.py", "logits", model, inputs, "5").CombinedOutput()
			if err != nil {
				t.Fatalf("python: %v\n%s", err, out)
			}
			var py [][]float64
			if err := json.Unmarshal(out, &py); err != nil {
				t.Fatalf("python output %q: %v", out, err)
			}
			goOut := outputs(t, m, x, rows)
			for i := 0; i < rows; i++ {
				for j := 0; j < 4; j++ {
					if d := math.Abs(py[i][j] - float64(goOut[i*4+j])); d > 1e-5 {
						t.Errorf("logit[%d][%d]: numpy %v, Go %v", i, j, py[i][j], goOut[i*4+j])
					}
				}
			}
		})
	}
}

// golden is a committed model file per format version with the outputs it
// gave when written: every later version of gozoo must load it and give the
// same outputs.
type golden struct {
	file    string
	kind    string
	config  string
	outputs string
}

var goldens = []golden{
	{"testdata/mlp_v1.safetensors", "mlp", `{"inputs":6,"hidden":[5],"outputs":3,"activation":"tanh"}`, "testdata/mlp_v1_outputs.json"},
	{"testdata/lenet5_v1.safetensors", "lenet5", `{"input_shape":[1,12,12],"classes":4}`, "testdata/lenet5_v1_outputs.json"},
}

func goldenInput(m nn.Model, rows int) []float32 {
	n := rows
	for _, d := range m.InputShape() {
		n *= d
	}
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(math.Sin(float64(i)))
	}
	return x
}

func TestGoldenModelFilesLoad(t *testing.T) {
	for _, g := range goldens {
		t.Run(g.file, func(t *testing.T) {
			if *update {
				m, err := New(g.kind, []byte(g.config), rand.New(rand.NewPCG(7, 7)))
				if err != nil {
					t.Fatal(err)
				}
				f, err := File(m, nil, map[string]string{"note": "golden file: must always load"})
				if err != nil {
					t.Fatal(err)
				}
				if err := modelfile.WriteFileAtomic(g.file, f); err != nil {
					t.Fatal(err)
				}
				data, _ := json.Marshal(outputs(t, m, goldenInput(m, 2), 2))
				if err := os.WriteFile(g.outputs, data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			m, _, err := Load(g.file)
			if err != nil {
				t.Fatal(err)
			}
			f, err := modelfile.ReadFile(g.file)
			if err != nil {
				t.Fatal(err)
			}
			if f.Metadata["format_version"] != "1" {
				t.Errorf("format_version %q", f.Metadata["format_version"])
			}
			data, err := os.ReadFile(g.outputs)
			if err != nil {
				t.Fatal(err)
			}
			var want []float32
			if err := json.Unmarshal(data, &want); err != nil {
				t.Fatal(err)
			}
			got := outputs(t, m, goldenInput(m, 2), 2)
			if len(got) != len(want) {
				t.Fatalf("%d outputs, want %d", len(got), len(want))
			}
			// Bit-equal on the machine that wrote them; the tolerance allows
			// for another CPU's summation order in the matrix kernels.
			for i := range want {
				if math.Abs(float64(got[i]-want[i])) > 1e-6*(1+math.Abs(float64(want[i]))) {
					t.Errorf("output[%d] = %v, the golden file gave %v", i, got[i], want[i])
				}
			}
		})
	}
}
