package zoo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"

	"github.com/gozoo/gozoo/io/modelfile"
	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/nn"
	"github.com/gozoo/gozoo/zoo/cnn"
	"github.com/gozoo/gozoo/zoo/mlp"
)

// Version is the gozoo library version written into model files.
const Version = "0.1.0"

// Metadata keys of a model file, beside those modelfile writes itself.
const (
	KeyKind    = "kind"
	KeyConfig  = "config"
	KeyVersion = "gozoo_version"
	// KeyMasked lists, as a JSON array, the parameters whose zeros are a
	// pruning mask (nn.Param.Mask) that training must keep.
	KeyMasked = "masked"
	// KeyQuantization marks a file with int8 weights (package quantize):
	// JSON {"scheme": ..., "weights": {param name: channel axis}}. Each such
	// parameter is an I8 tensor, and its per-channel scales are the F32
	// tensor ScalePrefix+name; the weights are q*scale, dequantized at load.
	KeyQuantization = "quantization"
	// ScalePrefix starts the names of quantization scale tensors.
	ScalePrefix = "scale/"
	// Int8Scheme is the quantization scheme files record.
	Int8Scheme = "int8-symmetric-per-output-channel"
)

// Quantization is the JSON under KeyQuantization.
type Quantization struct {
	Scheme  string         `json:"scheme"`
	Weights map[string]int `json:"weights"`
}

// dequantize replaces the file's I8 tensors by float32 ones, q times the
// scale of each value's channel, so that a quantized file loads like any
// other.
func dequantize(f *modelfile.File) (*modelfile.File, error) {
	raw, ok := f.Metadata[KeyQuantization]
	if !ok {
		for _, t := range f.Tensors {
			if t.IsInt8() {
				return nil, fmt.Errorf("zoo: tensor %q is int8 but the file has no %q metadata", t.Name, KeyQuantization)
			}
		}
		return f, nil
	}
	var q Quantization
	if err := decodeStrict([]byte(raw), &q); err != nil {
		return nil, fmt.Errorf("zoo: %q metadata: %w", KeyQuantization, err)
	}
	if q.Scheme != Int8Scheme {
		return nil, fmt.Errorf("zoo: unknown quantization scheme %q (want %s)", q.Scheme, Int8Scheme)
	}
	byName := make(map[string]*modelfile.Tensor, len(f.Tensors))
	for i := range f.Tensors {
		byName[f.Tensors[i].Name] = &f.Tensors[i]
	}
	out := &modelfile.File{Metadata: f.Metadata}
	for _, t := range f.Tensors {
		if strings.HasPrefix(t.Name, ScalePrefix) {
			if _, ok := q.Weights[strings.TrimPrefix(t.Name, ScalePrefix)]; !ok {
				return nil, fmt.Errorf("zoo: scale tensor %q belongs to no quantized weight", t.Name)
			}
			continue
		}
		axis, quantized := q.Weights[t.Name]
		if quantized != t.IsInt8() {
			return nil, fmt.Errorf("zoo: tensor %q: int8 %v, but the quantization metadata says %v", t.Name, t.IsInt8(), quantized)
		}
		if !quantized {
			out.Tensors = append(out.Tensors, t)
			continue
		}
		scale, ok := byName[ScalePrefix+t.Name]
		if !ok || scale.IsInt8() {
			return nil, fmt.Errorf("zoo: quantized tensor %q has no float32 scale tensor %q", t.Name, ScalePrefix+t.Name)
		}
		if axis < 0 || axis >= len(t.Shape) || len(scale.Shape) != 1 || scale.Shape[0] != t.Shape[axis] {
			return nil, fmt.Errorf("zoo: quantized tensor %q of shape %v: channel axis %d with scales of shape %v", t.Name, t.Shape, axis, scale.Shape)
		}
		inner := 1 // values per step along the axis
		for _, d := range t.Shape[axis+1:] {
			inner *= d
		}
		channels := t.Shape[axis]
		data := make([]float32, len(t.Int8))
		for i, v := range t.Int8 {
			data[i] = float32(v) * scale.Data[(i/inner)%channels]
		}
		out.Tensors = append(out.Tensors, modelfile.Tensor{Name: t.Name, Shape: t.Shape, Data: data})
	}
	return out, nil
}

// Model is an nn.Model that can describe itself: a built-in architecture
// (mlp, lenet5, cifar-vgg), any *nn.Sequential of gozoo's layers (kind
// "sequential", its Architecture as config) or any *nn.GraphModel of them
// (kind "graph", its GraphArchitecture as config).
type Model interface {
	nn.Model
	Kind() string
	ConfigJSON() ([]byte, error)
}

// ErrUnknownKind is returned for a kind that is not built in.
var ErrUnknownKind = errors.New("zoo: unknown model kind")

// Kinds lists the model kinds a file can hold.
func Kinds() []string {
	return []string{mlp.Kind, cnn.LeNet5Kind, cnn.VGGKind, nn.SequentialKind, nn.GraphKind}
}

// New builds a model of a known kind from its JSON config, drawing initial
// weights from rng. Unknown config fields are an error.
func New(kind string, config []byte, rng *rand.Rand) (Model, error) {
	switch kind {
	case nn.SequentialKind:
		var a nn.Architecture
		if err := decodeStrict(config, &a); err != nil {
			return nil, fmt.Errorf("zoo: %s config: %w", kind, err)
		}
		return nn.FromArchitecture(a, rng)
	case nn.GraphKind:
		var a nn.GraphArchitecture
		if err := decodeStrict(config, &a); err != nil {
			return nil, fmt.Errorf("zoo: %s config: %w", kind, err)
		}
		return nn.FromGraphArchitecture(a, rng)
	case mlp.Kind:
		var cfg mlp.Config
		if err := decodeStrict(config, &cfg); err != nil {
			return nil, fmt.Errorf("zoo: %s config: %w", kind, err)
		}
		return mlp.New(cfg, rng)
	case cnn.LeNet5Kind:
		var cfg cnn.LeNet5Config
		if err := decodeStrict(config, &cfg); err != nil {
			return nil, fmt.Errorf("zoo: %s config: %w", kind, err)
		}
		return cnn.NewLeNet5(cfg, rng)
	case cnn.VGGKind:
		var cfg cnn.VGGConfig
		if err := decodeStrict(config, &cfg); err != nil {
			return nil, fmt.Errorf("zoo: %s config: %w", kind, err)
		}
		return cnn.NewVGG(cfg, rng)
	}
	return nil, fmt.Errorf("%w %q (built in: %s)", ErrUnknownKind, kind, strings.Join(Kinds(), ", "))
}

// ParamCount returns the number of parameter values a model of kind with
// this JSON config holds (trainable or not), computed from the config
// alone: nothing is allocated. An invalid config, an unknown kind and more
// than nn.MaxParams values are errors.
func ParamCount(kind string, config []byte) (int, error) {
	var n int
	var err error
	switch kind {
	case nn.SequentialKind:
		var a nn.Architecture
		if err := decodeStrict(config, &a); err != nil {
			return 0, fmt.Errorf("zoo: %s config: %w", kind, err)
		}
		n, err = a.ParamCount()
	case nn.GraphKind:
		var a nn.GraphArchitecture
		if err := decodeStrict(config, &a); err != nil {
			return 0, fmt.Errorf("zoo: %s config: %w", kind, err)
		}
		n, err = a.ParamCount()
	case mlp.Kind:
		var cfg mlp.Config
		if err := decodeStrict(config, &cfg); err != nil {
			return 0, fmt.Errorf("zoo: %s config: %w", kind, err)
		}
		n, err = cfg.ParamCount()
	case cnn.LeNet5Kind:
		var cfg cnn.LeNet5Config
		if err := decodeStrict(config, &cfg); err != nil {
			return 0, fmt.Errorf("zoo: %s config: %w", kind, err)
		}
		n, err = cfg.ParamCount()
	case cnn.VGGKind:
		var cfg cnn.VGGConfig
		if err := decodeStrict(config, &cfg); err != nil {
			return 0, fmt.Errorf("zoo: %s config: %w", kind, err)
		}
		n, err = cfg.ParamCount()
	default:
		return 0, fmt.Errorf("%w %q (built in: %s)", ErrUnknownKind, kind, strings.Join(Kinds(), ", "))
	}
	if err == nil && n > nn.MaxParams {
		err = fmt.Errorf("zoo: %s config has %d parameters, more than %d", kind, n, nn.MaxParams)
	}
	return n, err
}

// allocSlack is how many values beyond twice the file's a config may ask
// for before FromFile refuses it unbuilt: enough to name the mismatching
// tensors of a small model, far from a hostile allocation (4 MiB).
const allocSlack = 1 << 20

// fileValues counts the parameter values in a model file's tensors (not
// the optimizer state of a checkpoint).
func fileValues(f *modelfile.File) int {
	n := 0
	for i := range f.Tensors {
		t := &f.Tensors[i]
		if !strings.HasPrefix(t.Name, "optim/") {
			n += max(len(t.Data), len(t.Int8))
		}
	}
	return n
}

// isNilPointer reports a nil pointer inside an interface.
func isNilPointer(v any) bool {
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the config object")
	}
	return nil
}

// File returns m as a model file: every parameter (trainable or not) as a
// tensor, in the model's order, and metadata naming the kind, its config,
// the library version and, unless card is nil, the model card. extra
// metadata is added as given; it may not replace those keys. The card must
// fit the model (modelcard.Card.CheckModel).
func File(m Model, card *modelcard.Card, extra map[string]string) (*modelfile.File, error) {
	if m == nil || isNilPointer(m) {
		return nil, fmt.Errorf("zoo: no model to save")
	}
	cfg, err := m.ConfigJSON()
	if err != nil {
		return nil, fmt.Errorf("zoo: config: %w", err)
	}
	meta := map[string]string{KeyKind: m.Kind(), KeyConfig: string(cfg), KeyVersion: Version}
	if card != nil {
		if err := checkCard(m, card); err != nil {
			return nil, err
		}
		for k, v := range card.Metadata() {
			meta[k] = v
		}
	}
	for k, v := range extra {
		if _, taken := meta[k]; taken {
			return nil, fmt.Errorf("zoo: metadata key %q is reserved", k)
		}
		meta[k] = v
	}
	var masked []string
	f := &modelfile.File{Metadata: meta}
	for _, p := range m.Params() {
		f.Tensors = append(f.Tensors, modelfile.Tensor{Name: p.Name, Shape: p.Shape(), Data: p.Data()})
		if p.Mask != nil {
			masked = append(masked, p.Name)
		}
	}
	if masked != nil {
		if _, taken := meta[KeyMasked]; taken {
			return nil, fmt.Errorf("zoo: metadata key %q is reserved", KeyMasked)
		}
		data, _ := json.Marshal(masked) // strings: cannot fail
		meta[KeyMasked] = string(data)
	}
	return f, nil
}

// restoreMasks masks the parameters a file lists under KeyMasked at their
// zeros.
func restoreMasks(m nn.Model, f *modelfile.File) error {
	raw, ok := f.Metadata[KeyMasked]
	if !ok {
		return nil
	}
	var names []string
	if err := json.Unmarshal([]byte(raw), &names); err != nil {
		return fmt.Errorf("zoo: %q metadata: %v", KeyMasked, err)
	}
	byName := make(map[string]*nn.Param)
	for _, p := range m.Params() {
		byName[p.Name] = p
	}
	for _, name := range names {
		p, ok := byName[name]
		if !ok {
			return fmt.Errorf("zoo: %q metadata names %q, which the model does not have", KeyMasked, name)
		}
		p.MaskFromZeros()
	}
	return nil
}

func checkCard(m nn.Model, card *modelcard.Card) error {
	if err := card.Validate(); err != nil {
		return err
	}
	out := m.OutputShape()
	if len(out) != 1 {
		return fmt.Errorf("zoo: model outputs must be vectors, got per-sample shape %v", out)
	}
	return card.CheckModel(m.InputShape(), out[0])
}

// Save writes m and its card (nil for none; eval, predict and the server
// need one) to path atomically: a crash mid-save leaves any earlier file at
// path intact.
func Save(path string, m Model, card *modelcard.Card) error {
	f, err := File(m, card, nil)
	if err != nil {
		return err
	}
	return modelfile.WriteFileAtomic(path, f)
}

// Load reads a model file, rebuilds its model from the kind and config in
// the metadata, fills its parameters and returns it with its card (nil when
// the file has none). Like keras.models.load_model, it needs no code of the
// model's: nothing in a file can run code.
func Load(path string) (Model, *modelcard.Card, error) {
	f, err := modelfile.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	m, card, err := FromFile(f)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, card, nil
}

// FromFile rebuilds a model and its card (nil if none) from a decoded model
// file. The parameter count the config implies (ParamCount) must equal the
// values in the file, checked before the model is allocated, so memory
// stays proportional to the file.
func FromFile(f *modelfile.File) (Model, *modelcard.Card, error) {
	if f == nil {
		return nil, nil, fmt.Errorf("zoo: no model file")
	}
	kind, ok := f.Metadata[KeyKind]
	if !ok {
		return nil, nil, fmt.Errorf("zoo: file has no %q metadata: not a gozoo model file", KeyKind)
	}
	card, _, err := modelcard.FromMetadata(f.Metadata)
	if err != nil {
		return nil, nil, err
	}
	if f, err = dequantize(f); err != nil {
		return nil, nil, err
	}
	// The model must hold exactly the file's values (SetWeights checks each
	// tensor after). A config that asks for more than the file could fill
	// is refused before the model is allocated, so that a small file cannot
	// make it allocate gigabytes; one within budget is built, so that
	// SetWeights can name each tensor that does not fit.
	config := []byte(f.Metadata[KeyConfig])
	want, err := ParamCount(kind, config)
	if err != nil {
		return nil, nil, err
	}
	if have := fileValues(f); want > 2*have+allocSlack {
		return nil, nil, fmt.Errorf("zoo: the %s config describes %d parameter values, the file holds %d: the weights do not fit the model", kind, want, have)
	}
	// The weights are overwritten below; the seed only fills them meanwhile.
	m, err := New(kind, config, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, nil, err
	}
	if err := SetWeights(m, f); err != nil {
		return nil, nil, err
	}
	if err := restoreMasks(m, f); err != nil {
		return nil, nil, err
	}
	if card != nil {
		if err := checkCard(m, card); err != nil {
			return nil, nil, err
		}
	}
	return m, card, nil
}

// LoadWeights fills the parameters of any model, built-in or user-defined,
// from the file at path.
func LoadWeights(path string, m nn.Model) error {
	if m == nil || isNilPointer(m) {
		return fmt.Errorf("zoo: no model to load %s into", path)
	}
	f, err := modelfile.ReadFile(path)
	if err != nil {
		return err
	}
	if f, err = dequantize(f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := SetWeights(m, f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := restoreMasks(m, f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// MismatchError lists every difference between a model's parameters and a
// file's tensors.
type MismatchError struct {
	Missing    []string // parameters the file lacks
	Unexpected []string // tensors the model lacks
	Shapes     []string // "name: model [a b], file [c d]"
}

func (e *MismatchError) Error() string {
	var parts []string
	if len(e.Missing) > 0 {
		parts = append(parts, "missing from file: "+strings.Join(e.Missing, ", "))
	}
	if len(e.Unexpected) > 0 {
		parts = append(parts, "not in model: "+strings.Join(e.Unexpected, ", "))
	}
	if len(e.Shapes) > 0 {
		parts = append(parts, "shape mismatch: "+strings.Join(e.Shapes, "; "))
	}
	return "zoo: weights do not fit the model: " + strings.Join(parts, "; ")
}

// SetWeights copies the file's tensors into m's parameters by name. It
// changes nothing unless every parameter has a tensor of the same shape and
// the file has no tensor the model lacks; otherwise it returns a
// *MismatchError listing every problem. Tensors named "optim/..." (optimizer
// state in a checkpoint) are ignored.
func SetWeights(m nn.Model, f *modelfile.File) error {
	if m == nil || isNilPointer(m) || f == nil {
		return fmt.Errorf("zoo: set weights needs a model and a file")
	}
	byName := make(map[string]*modelfile.Tensor, len(f.Tensors))
	for i := range f.Tensors {
		t := &f.Tensors[i]
		if !strings.HasPrefix(t.Name, "optim/") {
			byName[t.Name] = t
		}
	}
	var mm MismatchError
	params := m.Params()
	used := make(map[string]bool, len(params))
	for _, p := range params {
		t, ok := byName[p.Name]
		if !ok {
			mm.Missing = append(mm.Missing, p.Name)
			continue
		}
		used[p.Name] = true
		if t.IsInt8() {
			mm.Shapes = append(mm.Shapes, fmt.Sprintf("%s: int8 in the file (a quantized file loads through Load or LoadWeights)", p.Name))
			continue
		}
		if fmt.Sprint(t.Shape) != fmt.Sprint(p.Shape()) {
			mm.Shapes = append(mm.Shapes, fmt.Sprintf("%s: model %v, file %v", p.Name, p.Shape(), t.Shape))
		}
	}
	for name := range byName {
		if !used[name] {
			mm.Unexpected = append(mm.Unexpected, name)
		}
	}
	sort.Strings(mm.Unexpected)
	if len(mm.Missing)+len(mm.Unexpected)+len(mm.Shapes) > 0 {
		return &mm
	}
	for _, p := range params {
		copy(p.Data(), byName[p.Name].Data)
	}
	return nil
}
