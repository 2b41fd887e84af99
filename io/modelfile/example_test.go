package modelfile_test

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/gozoo/gozoo/io/modelfile"
)

func Example() {
	var buf bytes.Buffer
	err := modelfile.Write(&buf, &modelfile.File{
		Metadata: map[string]string{"kind": "mlp"},
		Tensors: []modelfile.Tensor{
			{Name: "dense1/weight", Shape: []int{2, 3}, Data: []float32{1, 2, 3, 4, 5, 6}},
			{Name: "dense1/bias", Shape: []int{2}, Data: []float32{0.5, -0.5}},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	f, err := modelfile.Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, t := range f.Tensors {
		fmt.Println(t.Name, t.Shape, t.Data)
	}
	fmt.Println(f.Metadata["kind"], f.Metadata["format"], f.Metadata["format_version"])
	// Output:
	// dense1/weight [2 3] [1 2 3 4 5 6]
	// dense1/bias [2] [0.5 -0.5]
	// mlp gozoo 1
}

func ExampleRead_errors() {
	header := `{"x":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`
	file := append([]byte{byte(len(header)), 0, 0, 0, 0, 0, 0, 0}, header...)
	file = append(file, 0, 0, 0, 0)
	_, err := modelfile.Read(bytes.NewReader(file), int64(len(file)))
	fmt.Println(err)
	fmt.Println(errors.Is(err, modelfile.ErrUnsupported), errors.Is(err, modelfile.ErrCorrupt))
	// Output:
	// modelfile: tensor "x": unsupported dtype "F16" (gozoo stores F32 and I8 only)
	// true false
}
