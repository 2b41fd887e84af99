package onnx

// The subset of ONNX's protobuf messages (onnx/onnx.proto, IR version 7 and
// later) that gozoo reads and writes, decoded with protowire. Field numbers
// are the spec's; fields gozoo does not need are skipped. Every repeated
// field is counted against a limit while it is read, so a hostile file
// cannot make the decoder allocate more than a small multiple of its own
// size; tensor payloads stay slices of the input until their shape has been
// checked (tensor.go).

import (
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Data types of TensorProto.data_type and TypeProto.Tensor.elem_type.
const (
	typeFloat = 1
	typeInt64 = 7
)

// Attribute types of AttributeProto.type.
const (
	attrFloat   = 1
	attrInt     = 2
	attrString  = 3
	attrTensor  = 4
	attrFloats  = 6
	attrInts    = 7
	attrStrings = 8
)

// Limits on what one file may hold beside Limits' own, so that no list read
// from a file grows without bound.
const (
	maxOpsets          = 64
	maxMetadata        = 1024
	maxGraphValues     = 1 << 16 // graph inputs, outputs and initializers
	maxNodeIO          = 16      // inputs or outputs of one node
	maxAttributes      = 64      // per node
	maxAttrValues      = 1024    // ints or floats of one attribute
	maxRank            = 8       // dimensions of a tensor or value
	maxIntElements     = 4096    // elements of an int64 tensor (shapes, pads)
	maxStringsInAttr   = 64
	maxTotalAttributes = 1 << 14
)

type opsetID struct {
	domain  string
	version int64
}

type model struct {
	irVersion       int64
	opsets          []opsetID
	producerName    string
	producerVersion string
	graph           *graph
	metadata        []stringPair
}

type stringPair struct{ key, value string }

type graph struct {
	name         string
	nodes        []*node
	initializers []*tensor
	inputs       []*valueInfo
	outputs      []*valueInfo
	sparse       int // sparse initializers, which gozoo does not read
}

type node struct {
	index          int // position in the graph, for messages
	inputs         []string
	outputs        []string
	name, opType   string
	domain         string
	attrs          []*attribute
	hasGraphAttr   bool
	hasUnknownAttr bool
}

type attribute struct {
	name    string
	typ     int64
	f       float32
	i       int64
	s       []byte
	t       *tensor
	floats  []float32
	ints    []int64
	strings int
	hasRef  bool // ref_attr_name: only valid inside functions
}

type tensor struct {
	name        string
	dims        []int64
	dataType    int64
	raw         []byte // raw_data, a slice of the input
	hasRaw      bool
	floats      []byte // float_data as little-endian bytes (a slice of the input when packed once)
	floatCount  int
	floatsOwned bool
	ints        []int64 // int64_data
	hasOther    bool    // int32, string, double or uint64 data
	external    bool
	segment     bool
}

type valueInfo struct {
	name     string
	isTensor bool
	elemType int64
	hasShape bool
	dims     []dim
}

type dim struct {
	value int64
	param string
	set   bool // dim_value or dim_param present
}

// decoder reads messages out of one input buffer.
type decoder struct {
	lim   Limits
	attrs int // attributes read so far, over all nodes
}

// fieldFunc receives one field: v is the payload of a length-delimited
// field, x the value of a varint or fixed field.
type fieldFunc func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error

// fields calls f for every field of the message b. Groups (deprecated and
// unused by ONNX) are refused, so decoding never recurses on the input's
// say-so.
func fields(b []byte, what string, f fieldFunc) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return corruptf("%s: bad field tag: %v", what, protowire.ParseError(n))
		}
		b = b[n:]
		var (
			v []byte
			x uint64
		)
		switch typ {
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var x32 uint32
			x32, n = protowire.ConsumeFixed32(b)
			x = uint64(x32)
		case protowire.Fixed64Type:
			x, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		default:
			return corruptf("%s: field %d has wire type %d, which ONNX does not use", what, num, typ)
		}
		if n < 0 {
			return corruptf("%s: field %d: %v", what, num, protowire.ParseError(n))
		}
		b = b[n:]
		if err := f(num, typ, v, x); err != nil {
			return err
		}
	}
	return nil
}

func wantType(what string, num protowire.Number, got, want protowire.Type) error {
	if got != want {
		return corruptf("%s: field %d has wire type %d, want %d", what, num, got, want)
	}
	return nil
}

// appendInts appends the values of a repeated int64 field, packed or not.
func appendInts(dst []int64, what string, num protowire.Number, typ protowire.Type, v []byte, x uint64, max int) ([]int64, error) {
	if typ == protowire.VarintType {
		if len(dst) >= max {
			return nil, limitf("%s: more than %d values", what, max)
		}
		return append(dst, int64(x)), nil
	}
	if typ != protowire.BytesType {
		return nil, corruptf("%s: field %d has wire type %d", what, num, typ)
	}
	for len(v) > 0 {
		y, n := protowire.ConsumeVarint(v)
		if n < 0 {
			return nil, corruptf("%s: packed field %d: %v", what, num, protowire.ParseError(n))
		}
		if len(dst) >= max {
			return nil, limitf("%s: more than %d values", what, max)
		}
		dst = append(dst, int64(y))
		v = v[n:]
	}
	return dst, nil
}

// appendFloats appends the values of a repeated float field, packed or not.
func appendFloats(dst []float32, what string, num protowire.Number, typ protowire.Type, v []byte, x uint64, max int) ([]float32, error) {
	if typ == protowire.Fixed32Type {
		if len(dst) >= max {
			return nil, limitf("%s: more than %d values", what, max)
		}
		return append(dst, math.Float32frombits(uint32(x))), nil
	}
	if typ != protowire.BytesType {
		return nil, corruptf("%s: field %d has wire type %d", what, num, typ)
	}
	if len(v)%4 != 0 {
		return nil, corruptf("%s: packed floats of %d bytes", what, len(v))
	}
	if len(dst)+len(v)/4 > max {
		return nil, limitf("%s: more than %d values", what, max)
	}
	for i := 0; i < len(v); i += 4 {
		dst = append(dst, math.Float32frombits(uint32(v[i])|uint32(v[i+1])<<8|uint32(v[i+2])<<16|uint32(v[i+3])<<24))
	}
	return dst, nil
}

func (d *decoder) model(b []byte) (*model, error) {
	m := &model{}
	err := fields(b, "model", func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch num {
		case 1: // ir_version
			if err := wantType("model.ir_version", num, typ, protowire.VarintType); err != nil {
				return err
			}
			m.irVersion = int64(x)
		case 2, 3: // producer_name, producer_version
			if err := wantType("model.producer", num, typ, protowire.BytesType); err != nil {
				return err
			}
			if num == 2 {
				m.producerName = string(v)
			} else {
				m.producerVersion = string(v)
			}
		case 7: // graph
			if err := wantType("model.graph", num, typ, protowire.BytesType); err != nil {
				return err
			}
			if m.graph != nil {
				return corruptf("model has two graphs")
			}
			g, err := d.graph(v)
			if err != nil {
				return err
			}
			m.graph = g
		case 8: // opset_import
			if err := wantType("model.opset_import", num, typ, protowire.BytesType); err != nil {
				return err
			}
			if len(m.opsets) >= maxOpsets {
				return limitf("model imports more than %d opsets", maxOpsets)
			}
			var o opsetID
			err := fields(v, "opset_import", func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
				switch {
				case num == 1 && typ == protowire.BytesType:
					o.domain = string(v)
				case num == 2 && typ == protowire.VarintType:
					o.version = int64(x)
				}
				return nil
			})
			if err != nil {
				return err
			}
			m.opsets = append(m.opsets, o)
		case 14: // metadata_props
			if err := wantType("model.metadata_props", num, typ, protowire.BytesType); err != nil {
				return err
			}
			if len(m.metadata) >= maxMetadata {
				return limitf("model has more than %d metadata entries", maxMetadata)
			}
			var p stringPair
			err := fields(v, "metadata_props", func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
				switch {
				case num == 1 && typ == protowire.BytesType:
					p.key = string(v)
				case num == 2 && typ == protowire.BytesType:
					p.value = string(v)
				}
				return nil
			})
			if err != nil {
				return err
			}
			m.metadata = append(m.metadata, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

func (d *decoder) graph(b []byte) (*graph, error) {
	g := &graph{}
	values := 0
	err := fields(b, "graph", func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch num {
		case 1: // node
			if err := wantType("graph.node", num, typ, protowire.BytesType); err != nil {
				return err
			}
			if len(g.nodes) >= d.lim.MaxNodes {
				return limitf("graph has more than %d nodes", d.lim.MaxNodes)
			}
			n, err := d.node(v, len(g.nodes))
			if err != nil {
				return err
			}
			g.nodes = append(g.nodes, n)
		case 2: // name
			if typ == protowire.BytesType {
				g.name = string(v)
			}
		case 5, 11, 12: // initializer, input, output
			if err := wantType("graph values", num, typ, protowire.BytesType); err != nil {
				return err
			}
			if values++; values > maxGraphValues {
				return limitf("graph has more than %d inputs, outputs and initializers", maxGraphValues)
			}
			if num == 5 {
				t, err := d.tensor(v, "initializer")
				if err != nil {
					return err
				}
				g.initializers = append(g.initializers, t)
				return nil
			}
			vi, err := d.valueInfo(v)
			if err != nil {
				return err
			}
			if num == 11 {
				g.inputs = append(g.inputs, vi)
			} else {
				g.outputs = append(g.outputs, vi)
			}
		case 15: // sparse_initializer
			g.sparse++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

func (d *decoder) node(b []byte, index int) (*node, error) {
	n := &node{index: index}
	what := fmt.Sprintf("node %d", index)
	err := fields(b, what, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch num {
		case 1, 2: // input, output
			if err := wantType(what, num, typ, protowire.BytesType); err != nil {
				return err
			}
			list := &n.inputs
			if num == 2 {
				list = &n.outputs
			}
			if len(*list) >= maxNodeIO {
				return limitf("%s has more than %d inputs or outputs", what, maxNodeIO)
			}
			*list = append(*list, string(v))
		case 3, 4, 7: // name, op_type, domain
			if err := wantType(what, num, typ, protowire.BytesType); err != nil {
				return err
			}
			switch num {
			case 3:
				n.name = string(v)
			case 4:
				n.opType = string(v)
			default:
				n.domain = string(v)
			}
		case 5: // attribute
			if err := wantType(what, num, typ, protowire.BytesType); err != nil {
				return err
			}
			if len(n.attrs) >= maxAttributes {
				return limitf("%s has more than %d attributes", what, maxAttributes)
			}
			if d.attrs++; d.attrs > maxTotalAttributes {
				return limitf("graph has more than %d attributes", maxTotalAttributes)
			}
			a, err := d.attribute(v, what)
			if err != nil {
				return err
			}
			n.attrs = append(n.attrs, a)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, a := range n.attrs {
		switch a.typ {
		case attrFloat, attrInt, attrString, attrTensor, attrFloats, attrInts, attrStrings:
		case 5, 10: // GRAPH, GRAPHS: control flow (If, Loop, Scan)
			n.hasGraphAttr = true
		default:
			n.hasUnknownAttr = true
		}
	}
	return n, nil
}

func (d *decoder) attribute(b []byte, where string) (*attribute, error) {
	a := &attribute{}
	what := where + " attribute"
	err := fields(b, what, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		var err error
		switch num {
		case 1: // name
			if err := wantType(what, num, typ, protowire.BytesType); err != nil {
				return err
			}
			a.name = string(v)
			what = where + " attribute " + fmt.Sprintf("%q", a.name)
		case 20: // type
			if err := wantType(what, num, typ, protowire.VarintType); err != nil {
				return err
			}
			a.typ = int64(x)
		case 21: // ref_attr_name
			a.hasRef = true
		case 2: // f
			if err := wantType(what, num, typ, protowire.Fixed32Type); err != nil {
				return err
			}
			a.f = math.Float32frombits(uint32(x))
		case 3: // i
			if err := wantType(what, num, typ, protowire.VarintType); err != nil {
				return err
			}
			a.i = int64(x)
		case 4: // s
			if err := wantType(what, num, typ, protowire.BytesType); err != nil {
				return err
			}
			a.s = v
		case 5: // t
			if err := wantType(what, num, typ, protowire.BytesType); err != nil {
				return err
			}
			a.t, err = d.tensor(v, what)
		case 7: // floats
			a.floats, err = appendFloats(a.floats, what, num, typ, v, x, maxAttrValues)
		case 8: // ints
			a.ints, err = appendInts(a.ints, what, num, typ, v, x, maxAttrValues)
		case 9: // strings
			if a.strings++; a.strings > maxStringsInAttr {
				err = limitf("%s has more than %d strings", what, maxStringsInAttr)
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

func (d *decoder) tensor(b []byte, where string) (*tensor, error) {
	t := &tensor{}
	what := where + " tensor"
	err := fields(b, what, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		var err error
		switch num {
		case 1: // dims
			t.dims, err = appendInts(t.dims, what+" dims", num, typ, v, x, maxRank)
		case 2: // data_type
			if err := wantType(what, num, typ, protowire.VarintType); err != nil {
				return err
			}
			t.dataType = int64(x)
		case 3: // segment
			t.segment = true
		case 4: // float_data
			err = t.appendFloatData(what, typ, v, x)
		case 7: // int64_data
			t.ints, err = appendInts(t.ints, what+" int64_data", num, typ, v, x, maxIntElements)
		case 5, 6, 10, 11: // int32_data, string_data, double_data, uint64_data
			t.hasOther = true
		case 8: // name
			if err := wantType(what, num, typ, protowire.BytesType); err != nil {
				return err
			}
			t.name = string(v)
			what = where + fmt.Sprintf(" tensor %q", t.name)
		case 9: // raw_data
			if err := wantType(what, num, typ, protowire.BytesType); err != nil {
				return err
			}
			t.raw, t.hasRaw = v, true
		case 13: // external_data
			t.external = true
		case 14: // data_location
			if typ == protowire.VarintType && x != 0 {
				t.external = true
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// appendFloatData keeps float_data as little-endian bytes: a packed field
// that comes in one piece stays a slice of the input; anything else is
// copied once into a buffer of the tensor's own, which costs at most the
// bytes the file spent on it.
func (t *tensor) appendFloatData(what string, typ protowire.Type, v []byte, x uint64) error {
	switch typ {
	case protowire.Fixed32Type:
		t.ownFloats()
		t.floats = protowire.AppendFixed32(t.floats, uint32(x))
		t.floatCount++
	case protowire.BytesType:
		if len(v)%4 != 0 {
			return corruptf("%s: packed float_data of %d bytes", what, len(v))
		}
		if t.floatCount == 0 {
			t.floats = v
		} else {
			t.ownFloats()
			t.floats = append(t.floats, v...)
		}
		t.floatCount += len(v) / 4
	default:
		return corruptf("%s: float_data has wire type %d", what, typ)
	}
	return nil
}

// ownFloats makes float_data a buffer of the tensor's own (not aliasing the
// input), so that it may be appended to.
func (t *tensor) ownFloats() {
	if !t.floatsOwned {
		t.floats = append([]byte(nil), t.floats...)
		t.floatsOwned = true
	}
}

func (d *decoder) valueInfo(b []byte) (*valueInfo, error) {
	vi := &valueInfo{}
	err := fields(b, "value info", func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch {
		case num == 1 && typ == protowire.BytesType:
			vi.name = string(v)
		case num == 2 && typ == protowire.BytesType: // TypeProto
			return fields(v, "type", func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
				if num != 1 || typ != protowire.BytesType { // tensor_type only
					return nil
				}
				vi.isTensor = true
				return fields(v, "tensor type", func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
					switch {
					case num == 1 && typ == protowire.VarintType:
						vi.elemType = int64(x)
					case num == 2 && typ == protowire.BytesType:
						vi.hasShape = true
						return fields(v, "shape", func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
							if num != 1 || typ != protowire.BytesType {
								return nil
							}
							if len(vi.dims) >= maxRank {
								return limitf("value %q has more than %d dimensions", vi.name, maxRank)
							}
							var dm dim
							err := fields(v, "dimension", func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
								switch {
								case num == 1 && typ == protowire.VarintType:
									dm.value, dm.param, dm.set = int64(x), "", true
								case num == 2 && typ == protowire.BytesType:
									dm.value, dm.param, dm.set = 0, string(v), true
								}
								return nil
							})
							vi.dims = append(vi.dims, dm)
							return err
						})
					}
					return nil
				})
			})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return vi, nil
}

// encoder appends protobuf fields to a buffer.
type encoder struct{ b []byte }

func (e *encoder) tag(num protowire.Number, typ protowire.Type) {
	e.b = protowire.AppendTag(e.b, num, typ)
}

func (e *encoder) bytes(num protowire.Number, v []byte) {
	e.tag(num, protowire.BytesType)
	e.b = protowire.AppendBytes(e.b, v)
}

func (e *encoder) str(num protowire.Number, s string) {
	e.tag(num, protowire.BytesType)
	e.b = protowire.AppendString(e.b, s)
}

func (e *encoder) int(num protowire.Number, v int64) {
	e.tag(num, protowire.VarintType)
	e.b = protowire.AppendVarint(e.b, uint64(v))
}

func (e *encoder) float(num protowire.Number, v float32) {
	e.tag(num, protowire.Fixed32Type)
	e.b = protowire.AppendFixed32(e.b, math.Float32bits(v))
}

// message appends a length-delimited submessage built by f.
func (e *encoder) message(num protowire.Number, f func(*encoder)) {
	var sub encoder
	f(&sub)
	e.bytes(num, sub.b)
}
