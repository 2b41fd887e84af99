package zoo

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/gozoo/gozoo/nn"
)

// Summary describes a model as Keras' model.summary() does: each layer's
// name, type, output shape and parameter count, and the totals. Its String
// is the table; it encodes as JSON.
type Summary struct {
	Kind string `json:"kind"`
	// Name is a graph model's own name (say "resnet20"), if it has one.
	Name               string          `json:"name,omitempty"`
	Config             json.RawMessage `json:"config"`
	InputShape         []int           `json:"input_shape"` // batch dimension first, as -1
	Layers             []LayerSummary  `json:"layers"`
	TotalParams        int             `json:"total_params"`
	TrainableParams    int             `json:"trainable_params"`
	NonTrainableParams int             `json:"non_trainable_params"`
}

// LayerSummary is one row of a Summary.
type LayerSummary struct {
	Name        string `json:"name"`
	Type        string `json:"type"`         // nn.TypeOf: Dense, Conv2D, ...
	OutputShape []int  `json:"output_shape"` // batch dimension first, as -1
	Params      int    `json:"params"`
	Trainable   int    `json:"trainable_params"`
	// Inputs names what the layer reads (inputs or layers) in a graph
	// model: Keras' "Connected to" column. It is empty for a chain.
	Inputs []string `json:"inputs,omitempty"`
	// Sparsity is the fraction of zeros of the layer's pruned (masked)
	// parameters; Pruned says whether it has any.
	Sparsity float64 `json:"sparsity,omitempty"`
	Pruned   bool    `json:"pruned,omitempty"`
}

// layered is a model made of a sequence of layers (every built-in kind
// embeds *nn.Sequential; an *nn.GraphModel keeps its layers in a
// topological order).
type layered interface {
	Layers() []nn.Layer
	LayerOutputShapes() [][]int
}

// graphed is a model whose layers read other layers than their predecessor.
type graphed interface {
	LayerInputs() [][]string
	Name() string
}

// Summarize describes m. Each layer names its own type (nn.TypeOf), so a
// new layer needs no change here.
func Summarize(m Model) (*Summary, error) {
	if m == nil {
		return nil, fmt.Errorf("zoo: no model to summarize")
	}
	seq, ok := m.(layered)
	if !ok {
		return nil, fmt.Errorf("zoo: model kind %q has no layer list", m.Kind())
	}
	cfg, err := m.ConfigJSON()
	if err != nil {
		return nil, fmt.Errorf("zoo: config of %s: %w", m.Kind(), err)
	}
	s := &Summary{Kind: m.Kind(), Config: cfg, InputShape: batchShape(m.InputShape())}
	shapes := seq.LayerOutputShapes()
	var reads [][]string
	if g, ok := m.(graphed); ok {
		reads, s.Name = g.LayerInputs(), g.Name()
	}
	for i, l := range seq.Layers() {
		ls := LayerSummary{Name: l.Name(), Type: nn.TypeOf(l), OutputShape: batchShape(shapes[i])}
		if reads != nil {
			ls.Inputs = reads[i]
		}
		masked, zeros := 0, 0
		for _, p := range l.Params() {
			n := len(p.Data())
			ls.Params += n
			if p.Trainable {
				ls.Trainable += n
			}
			if p.Mask != nil {
				masked += n
				for _, keep := range p.Mask {
					if !keep {
						zeros++
					}
				}
			}
		}
		if masked > 0 {
			ls.Pruned, ls.Sparsity = true, float64(zeros)/float64(masked)
		}
		s.Layers = append(s.Layers, ls)
		s.TotalParams += ls.Params
		s.TrainableParams += ls.Trainable
	}
	s.NonTrainableParams = s.TotalParams - s.TrainableParams
	return s, nil
}

// batchShape prefixes a per-sample shape with -1 for the batch.
func batchShape(shape []int) []int { return append([]int{-1}, shape...) }

// String is the Keras-style table: one row per layer (with a Sparsity
// column for a pruned model and a Connected to column for a graph model),
// then the totals and, for a built-in kind, its config (a sequential or
// graph model's config is the table itself).
func (s *Summary) String() string {
	header := []string{"Layer", "Type", "Output Shape", "Param #"}
	pruned, graph := false, false
	for _, l := range s.Layers {
		pruned = pruned || l.Pruned
		graph = graph || l.Inputs != nil
	}
	if pruned {
		header = append(header, "Sparsity")
	}
	if graph {
		header = append(header, "Connected to")
	}
	rows := make([][]string, len(s.Layers))
	widths := make([]int, len(header))
	for j, h := range header {
		widths[j] = len(h)
	}
	for i, l := range s.Layers {
		rows[i] = []string{l.Name, l.Type, shapeString(l.OutputShape), thousands(l.Params)}
		if pruned {
			cell := ""
			if l.Pruned {
				cell = fmt.Sprintf("%.1f%%", 100*l.Sparsity)
			}
			rows[i] = append(rows[i], cell)
		}
		if graph {
			rows[i] = append(rows[i], strings.Join(l.Inputs, ", "))
		}
		for j, cell := range rows[i] {
			widths[j] = max(widths[j], len(cell))
		}
	}
	line := func(cells []string) string {
		// Names and types left-aligned, numbers right-aligned.
		out := fmt.Sprintf("%-*s  %-*s  %-*s  %*s", widths[0], cells[0], widths[1], cells[1], widths[2], cells[2], widths[3], cells[3])
		j := 4
		if pruned {
			out += fmt.Sprintf("  %*s", widths[j], cells[j])
			j++
		}
		if graph {
			out += fmt.Sprintf("  %-*s", widths[j], cells[j])
		}
		return strings.TrimRight(out, " ") + "\n"
	}
	total := 0
	for _, w := range widths {
		total += w + 2
	}
	rule := strings.Repeat("=", total-2) + "\n"
	var b strings.Builder
	model := s.Kind
	if s.Name != "" {
		model += " (" + s.Name + ")"
	}
	fmt.Fprintf(&b, "Model: %s\nInput shape: %s\n", model, shapeString(s.InputShape))
	b.WriteString(rule)
	b.WriteString(line(header))
	b.WriteString(rule)
	for _, r := range rows {
		b.WriteString(line(r))
	}
	b.WriteString(rule)
	fmt.Fprintf(&b, "Total params: %s\nTrainable params: %s\nNon-trainable params: %s\n",
		thousands(s.TotalParams), thousands(s.TrainableParams), thousands(s.NonTrainableParams))
	if s.Kind != nn.SequentialKind && s.Kind != nn.GraphKind {
		fmt.Fprintf(&b, "Config: %s\n", s.Config)
	}
	return b.String()
}

// shapeString writes a shape as [-1, 128].
func shapeString(shape []int) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = fmt.Sprint(d)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// thousands writes n with comma separators: 109,386.
func thousands(n int) string {
	if n < 0 {
		return "-" + thousands(-n)
	}
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
