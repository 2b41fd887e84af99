package nn

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
)

// GraphArchitecture is a GraphModel's inputs, layers and output: the JSON a
// model file holds for a graph model, in the manner of Keras' functional
// config (each layer with the names of what it reads).
type GraphArchitecture struct {
	Name    string       `json:"name,omitempty"`
	Inputs  []GraphInput `json:"inputs"`
	Layers  []GraphLayer `json:"layers"`
	Outputs []string     `json:"outputs"`
}

// GraphInput is a named input and its per-sample shape.
type GraphInput struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
}

// GraphLayer is a layer's spec and the names of the inputs or layers it
// reads, in order (a merge reads several).
type GraphLayer struct {
	LayerSpec
	Inputs []string `json:"inputs"`
}

// Limits on a graph architecture read from a file, beside MaxLayers and
// MaxParams.
const (
	// MaxGraphInputs is the most inputs a graph architecture may declare.
	MaxGraphInputs = 16
	// MaxLayerInputs is the most inputs one layer (a merge) may read.
	MaxLayerInputs = 64
)

// ConfigJSON returns the GraphArchitecture as JSON, or an error naming the
// first layer that cannot describe itself.
func (m *GraphModel) ConfigJSON() ([]byte, error) {
	a, err := m.Architecture()
	if err != nil {
		return nil, err
	}
	return json.Marshal(a)
}

// Architecture describes the network. It fails for a layer that is not a
// Describer (a layer type defined outside this package).
func (m *GraphModel) Architecture() (GraphArchitecture, error) {
	a := GraphArchitecture{Name: m.name, Outputs: []string{m.OutputName()}}
	for _, in := range m.inputs {
		a.Inputs = append(a.Inputs, GraphInput{Name: in.name, Shape: append([]int(nil), in.shape...)})
	}
	reads := m.LayerInputs()
	for i, l := range m.layers {
		d, ok := l.(Describer)
		if !ok {
			return GraphArchitecture{}, fmt.Errorf("nn: layer %d (%s) of type %T cannot describe itself: only this package's layers can be saved as an architecture", i+1, l.Name(), l)
		}
		a.Layers = append(a.Layers, GraphLayer{LayerSpec: d.Spec(), Inputs: reads[i]})
	}
	return a, nil
}

// ParamCount returns the number of parameter values FromGraphArchitecture
// allocates for a, computed from the specs alone, or an error for more than
// MaxLayers layers, MaxParams parameters or a spec it cannot read.
func (a GraphArchitecture) ParamCount() (int, error) {
	specs := make([]LayerSpec, len(a.Layers))
	for i, l := range a.Layers {
		specs[i] = l.LayerSpec
	}
	return Architecture{Layers: specs}.ParamCount()
}

// FromGraphArchitecture rebuilds a GraphModel from its description, drawing
// fresh weights from rng (a model file then overwrites them). The layers
// may be listed in any order; they are sorted so that each comes after what
// it reads. Before any weight is allocated, it refuses: more than MaxLayers
// layers or MaxParams parameters, a name used twice, a read of a name that
// is neither an input nor a layer, a cycle, a layer that does not lead to
// the output, and unknown layer types or config fields. Shapes are then
// checked layer by layer, a merge of mismatched shapes included.
func FromGraphArchitecture(a GraphArchitecture, rng *rand.Rand) (*GraphModel, error) {
	if rng == nil {
		return nil, fmt.Errorf("nn: architecture needs a random source for the initial weights")
	}
	order, err := a.sorted()
	if err != nil {
		return nil, err
	}
	if _, err := a.ParamCount(); err != nil {
		return nil, err
	}
	m := &GraphModel{name: a.Name, nameIdx: map[string]int{}}
	for i, in := range a.Inputs {
		if _, err := shapeSize(in.Shape); err != nil {
			return nil, fmt.Errorf("nn: input %q shape: %w", in.Name, err)
		}
		m.inputs = append(m.inputs, graphInput{name: in.Name, shape: append([]int(nil), in.Shape...)})
		m.nameIdx[in.Name] = -1 - i
	}
	for _, i := range order {
		gl := a.Layers[i]
		l, err := NewLayer(gl.LayerSpec, rng)
		if err != nil {
			return nil, fmt.Errorf("nn: layer %q: %w", gl.Name, err)
		}
		args := make([]int, len(gl.Inputs))
		shapes := make([][]int, len(gl.Inputs))
		for j, name := range gl.Inputs {
			args[j] = m.nameIdx[name]
			if args[j] < 0 {
				shapes[j] = m.inputs[-1-args[j]].shape
			} else {
				shapes[j] = m.shapes[args[j]]
			}
		}
		out, err := layerShape(l, shapes)
		if err != nil {
			return nil, fmt.Errorf("nn: layer %q (%s): %w", gl.Name, gl.Type, err)
		}
		m.nameIdx[gl.Name] = len(m.layers)
		m.layers = append(m.layers, l)
		m.args = append(m.args, args)
		m.shapes = append(m.shapes, out)
	}
	m.output = m.nameIdx[a.Outputs[0]]
	if err := m.check(); err != nil {
		return nil, err
	}
	return m, nil
}

// sorted checks the graph's structure (sizes, names, references, acyclic)
// and returns the layers' indices in a topological order that keeps the
// file's order wherever it already is one.
func (a GraphArchitecture) sorted() ([]int, error) {
	switch {
	case len(a.Layers) == 0:
		return nil, fmt.Errorf("nn: graph architecture has no layers")
	case len(a.Layers) > MaxLayers:
		return nil, fmt.Errorf("nn: graph architecture has %d layers, more than %d", len(a.Layers), MaxLayers)
	case len(a.Inputs) == 0:
		return nil, fmt.Errorf("nn: graph architecture has no inputs")
	case len(a.Inputs) > MaxGraphInputs:
		return nil, fmt.Errorf("nn: graph architecture has %d inputs, more than %d", len(a.Inputs), MaxGraphInputs)
	case len(a.Outputs) != 1:
		return nil, fmt.Errorf("nn: graph architecture has %d outputs; this version takes exactly 1", len(a.Outputs))
	}
	// index: inputs as -1-i, layers as their position in the file.
	index := make(map[string]int, len(a.Inputs)+len(a.Layers))
	for i, in := range a.Inputs {
		if in.Name == "" {
			return nil, fmt.Errorf("nn: input %d has no name", i+1)
		}
		if _, dup := index[in.Name]; dup {
			return nil, fmt.Errorf("nn: input name %q is used twice", in.Name)
		}
		index[in.Name] = -1 - i
	}
	for i, l := range a.Layers {
		if l.Name == "" {
			return nil, fmt.Errorf("nn: layer %d (%s) has no name", i+1, l.Type)
		}
		if _, dup := index[l.Name]; dup {
			return nil, fmt.Errorf("nn: name %q is used twice; inputs and layers need unique names", l.Name)
		}
		index[l.Name] = i
	}
	users := make([][]int, len(a.Layers)) // layer -> layers that read it
	pending := make([]int, len(a.Layers)) // reads of layers not yet placed
	for i, l := range a.Layers {
		if len(l.Inputs) == 0 {
			return nil, fmt.Errorf("nn: layer %q reads nothing; name its inputs", l.Name)
		}
		if len(l.Inputs) > MaxLayerInputs {
			return nil, fmt.Errorf("nn: layer %q reads %d inputs, more than %d", l.Name, len(l.Inputs), MaxLayerInputs)
		}
		for _, name := range l.Inputs {
			j, ok := index[name]
			if !ok {
				return nil, fmt.Errorf("nn: layer %q reads %q, which is neither an input nor a layer", l.Name, name)
			}
			if j == i {
				return nil, fmt.Errorf("nn: layer %q reads itself: a graph model must be acyclic", l.Name)
			}
			if j >= 0 {
				users[j] = append(users[j], i)
				pending[i]++
			}
		}
	}
	if j, ok := index[a.Outputs[0]]; !ok || j < 0 {
		return nil, fmt.Errorf("nn: the output %q is not a layer", a.Outputs[0])
	}
	// Kahn's algorithm, always taking the ready layer that comes first in
	// the file.
	ready := make([]bool, len(a.Layers))
	for i, n := range pending {
		ready[i] = n == 0
	}
	order := make([]int, 0, len(a.Layers))
	next := 0 // no ready, unplaced layer before next
	placed := make([]bool, len(a.Layers))
	for len(order) < len(a.Layers) {
		for next < len(a.Layers) && !(ready[next] && !placed[next]) {
			next++
		}
		if next == len(a.Layers) {
			var cycle []string
			for i, p := range placed {
				if !p && len(cycle) < 8 {
					cycle = append(cycle, fmt.Sprintf("%q", a.Layers[i].Name))
				}
			}
			return nil, fmt.Errorf("nn: the layers %s read one another in a cycle (or read a layer in one): a graph model must be acyclic", strings.Join(cycle, ", "))
		}
		i := next
		placed[i] = true
		order = append(order, i)
		for _, u := range users[i] {
			if pending[u]--; pending[u] == 0 {
				ready[u] = true
				next = min(next, u)
			}
		}
	}
	return order, nil
}

// UnmarshalJSON decodes a graph architecture strictly (unknown fields are
// errors) and one layer at a time, so that a file listing more than
// MaxLayers layers, or more than MaxGraphInputs inputs, is refused before
// they are all held in memory.
func (a *GraphArchitecture) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	var out GraphArchitecture
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("nn: graph architecture: %v", err)
		}
		key, _ := tok.(string)
		if seen[key] {
			return fmt.Errorf("nn: graph architecture: key %q twice", key)
		}
		seen[key] = true
		switch key {
		case "name":
			err = dec.Decode(&out.Name)
		case "outputs":
			err = decodeList(dec, "outputs", MaxGraphInputs, &out.Outputs)
		case "inputs":
			err = decodeList(dec, "inputs", MaxGraphInputs, &out.Inputs)
		case "layers":
			err = decodeList(dec, "layers", MaxLayers, &out.Layers)
		default:
			return fmt.Errorf("nn: graph architecture: unknown field %q", key)
		}
		if err != nil {
			return err
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return err
	}
	*a = out
	return nil
}

// decodeList decodes a JSON array of at most limit elements into dst, each
// element strictly, and fails at the first element beyond the limit. null
// leaves dst nil.
func decodeList[T any](dec *json.Decoder, what string, limit int, dst *[]T) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("nn: graph architecture %s: %v", what, err)
	}
	if tok == nil {
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return fmt.Errorf("nn: graph architecture %s: want an array, got %v", what, tok)
	}
	for dec.More() {
		if len(*dst) == limit {
			return fmt.Errorf("nn: graph architecture has more than %d %s", limit, what)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("nn: graph architecture %s: %v", what, err)
		}
		var v T
		inner := json.NewDecoder(bytes.NewReader(raw))
		inner.DisallowUnknownFields()
		if err := inner.Decode(&v); err != nil {
			return fmt.Errorf("nn: graph architecture %s %d: %v", what, len(*dst)+1, err)
		}
		*dst = append(*dst, v)
	}
	_, err = dec.Token() // the closing bracket
	return err
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("nn: graph architecture: %v", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("nn: graph architecture: want %q, got %v", want, tok)
	}
	return nil
}
