// Package modelfile provides the reader and writer for gozoo model files.
//
// A model file is a safetensors file (the format PyTorch, JAX and Hugging Face
// read): an 8-byte little-endian header length N, N bytes of JSON header that
// maps tensor names to dtype, shape and byte offsets, then the tensor bytes.
// gozoo stores float32 tensors only (dtype "F32", little-endian, row-major) and
// records "format", "format_version" and a SHA-256 "checksum" of the data in
// the header's "__metadata__" map. docs/format.md is the full specification.
//
// Reading validates the whole file before trusting any of it: header size,
// JSON structure, duplicate names, dtypes, shapes, and offsets that must tile
// the data exactly. Structural problems wrap ErrCorrupt, a wrong checksum is
// ErrChecksum, and content this version cannot represent (another dtype, a
// newer format_version) is ErrUnsupported. No allocation is sized from a
// header field before that field has been checked against the file size.
//
// The shortest use:
//
//	err := modelfile.WriteFileAtomic("model.safetensors", &modelfile.File{
//		Metadata: map[string]string{"kind": "mlp"},
//		Tensors:  []modelfile.Tensor{{Name: "dense1/bias", Shape: []int{2}, Data: []float32{0.5, -1}}},
//	})
//	...
//	f, err := modelfile.ReadFile("model.safetensors")
//
// This package knows nothing of Gorgonia: it moves plain float32 slices.
package modelfile
