package modelfile_test

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gozoo/gozoo/io/modelfile"
)

// python is Debian's interpreter; the interop tests need it with numpy.
const python = "/usr/bin/python3"

// numpyReader parses a file with nothing but json, hashlib and numpy, the
// way any safetensors consumer would, and prints what it found as JSON.
const numpyReader = `
import hashlib, json, struct, sys
import numpy as np
raw = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + n])
buf = raw[8 + n:]
meta = header.pop("__metadata__", {})
out = {"aligned": (8 + n) % 8 == 0, "metadata": meta,
       "sha256": "sha256:" + hashlib.sha256(buf).hexdigest(),
       "order": list(header), "tensors": {}}
for name, info in header.items():
    b, e = info["data_offsets"]
    arr = np.frombuffer(buf[b:e], dtype="<f4").reshape(info["shape"])
    out["tensors"][name] = {"dtype": info["dtype"], "shape": list(arr.shape),
                            "values": arr.ravel().tolist()}
print(json.dumps(out))
`

// numpyWriter writes a file the way a foreign tool might: buffer order
// unlike header order, metadata last, no gozoo keys, no checksum.
const numpyWriter = `
import json, struct, sys
import numpy as np
a = (np.arange(6, dtype="<f4") / 4).reshape(2, 3)
b = np.array([1.5, -2.25], dtype="<f4")
header = {"a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [8, 32]},
          "b": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
          "__metadata__": {"format": "pt"}}
h = json.dumps(header).encode()
h += b" " * (-len(h) % 8)
open(sys.argv[1], "wb").write(struct.pack("<Q", len(h)) + h + b.tobytes() + a.tobytes())
`

func needNumpy(t *testing.T) {
	t.Helper()
	if err := exec.Command(python, "-c", "import numpy").Run(); err != nil {
		t.Skipf("%s with numpy not available: %v", python, err)
	}
}

func TestNumpyReadsOurFile(t *testing.T) {
	needNumpy(t)
	path := filepath.Join(t.TempDir(), "m.safetensors")
	want := sample()
	want.Tensors = want.Tensors[:4] // NaN and Inf do not survive JSON; the bit tests cover them
	want.Tensors[0].Data[4] = 1e-8
	if err := modelfile.WriteFileAtomic(path, want); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(python, "-c", numpyReader, path).Output()
	if err != nil {
		t.Fatalf("python: %v", err)
	}
	var got struct {
		Aligned  bool
		Metadata map[string]string
		SHA256   string
		Order    []string
		Tensors  map[string]struct {
			Dtype  string
			Shape  []int
			Values []float32
		}
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("python output %s: %v", out, err)
	}
	if !got.Aligned {
		t.Error("numpy found the data buffer misaligned")
	}
	if got.Metadata["checksum"] != got.SHA256 {
		t.Errorf("checksum %q, python's hashlib says %q", got.Metadata["checksum"], got.SHA256)
	}
	if got.Metadata["kind"] != "mlp" || got.Metadata["format"] != "gozoo" {
		t.Errorf("metadata %v lacks kind=mlp, format=gozoo", got.Metadata)
	}
	var seen []modelfile.Tensor
	for _, name := range got.Order {
		tensor := got.Tensors[name]
		if tensor.Dtype != "F32" {
			t.Errorf("tensor %q: dtype %q", name, tensor.Dtype)
		}
		seen = append(seen, modelfile.Tensor{Name: name, Shape: tensor.Shape, Data: tensor.Values})
	}
	checkTensors(t, seen, want.Tensors)
}

func TestWeReadNumpyFile(t *testing.T) {
	needNumpy(t)
	path := filepath.Join(t.TempDir(), "foreign.safetensors")
	if out, err := exec.Command(python, "-c", numpyWriter, path).CombinedOutput(); err != nil {
		t.Fatalf("python: %v: %s", err, out)
	}
	got, err := modelfile.ReadFile(path)
	if err != nil {
		t.Fatalf("ReadFile: %v", err)
	}
	checkTensors(t, got.Tensors, []modelfile.Tensor{
		{Name: "a", Shape: []int{2, 3}, Data: []float32{0, 0.25, 0.5, 0.75, 1, 1.25}},
		{Name: "b", Shape: []int{2}, Data: []float32{1.5, -2.25}},
	})
	if got.Metadata["format"] != "pt" {
		t.Errorf("metadata %v, want format=pt", got.Metadata)
	}
}
