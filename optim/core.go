package optim

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// rule is the arithmetic of one optimizer kind; core does the bookkeeping
// around it.
type rule interface {
	// prepare computes the scalars of step number step (counted from 1) at
	// learning rate lr.
	prepare(step int64, lr float64)
	// update applies the prepared step to one parameter: x its values, g its
	// gradient (len(g) == len(x)) and state its slots in slot order. Each
	// value's update must depend on that value's own entries alone: Step
	// hands chunks of a parameter to several goroutines.
	update(x, g []float32, state [][]float32)
}

// core holds what every optimizer shares: the learning rate, the step count
// and the per-parameter state slots, created lazily on the first Step and
// keyed by parameter position.
type core struct {
	kind      string
	slotNames []string // e.g. "m", "v"; empty for plain SGD
	slotInit  float32  // initial value of every slot element
	rule      rule

	lr   float64
	step int64

	// bound is set by the first Step, which fixes the parameter layout.
	bound  bool
	names  []string
	shapes [][]int
	sizes  []int
	slots  [][]float32 // slots[i*len(slotNames)+j]: slot j of parameter i

	// pending holds state loaded before the layout was known; the first
	// Step matches it to the parameters by name.
	pending []entry

	// chunks cuts the bound parameters into the pieces updateAll hands to
	// goroutines; made once, since the layout does not change.
	chunks []chunk
}

// chunk is values [from, to) of parameter param.
type chunk struct{ param, from, to int }

// entry is the state of one parameter: its name, shape and slots.
type entry struct {
	name  string
	shape []int
	data  [][]float32
}

func newCore(kind string, lr float64, slotInit float32, r rule, slotNames ...string) core {
	return core{kind: kind, slotNames: slotNames, slotInit: slotInit, rule: r, lr: lr}
}

// LearningRate returns the learning rate the next Step will use.
func (c *core) LearningRate() float64 { return c.lr }

// SetLearningRate sets the learning rate of the following steps. The value
// is stored as given; Step returns an error if it is negative or not finite.
func (c *core) SetLearningRate(lr float64) { c.lr = lr }

// Step applies one update to every parameter. The first call fixes the
// parameters' order, names and shapes; later calls must match them.
func (c *core) Step(params []Param) error {
	if err := checkRate(c.kind, "learning rate", c.lr); err != nil {
		return err
	}
	if err := c.bind(params); err != nil {
		return err
	}
	for i := range params {
		if m := params[i].Mask; m != nil && len(m) != len(params[i].Value) {
			return fmt.Errorf("optim: %s parameter %q has a mask of %d entries for %d values", c.kind, params[i].Name, len(m), len(params[i].Value))
		}
	}
	c.step++
	c.rule.prepare(c.step, c.lr)
	n := len(c.slotNames)
	c.updateAll(params, n)
	for i := range params {
		p := &params[i]
		if p.Mask != nil {
			for j, keep := range p.Mask {
				if !keep {
					p.Value[j] = 0
				}
			}
		}
	}
	return nil
}

// updateChunk is the number of values one goroutine updates at a time;
// steps with fewer values in all than two chunks run on the caller's.
const updateChunk = 1 << 14

// updateAll applies the rule to every parameter. Each value's update
// depends on that value alone, so chunks of the parameters go to up to
// GOMAXPROCS goroutines with the same result as one pass.
func (c *core) updateAll(params []Param, n int) {
	total := 0
	for i := range params {
		total += len(params[i].Value)
	}
	workers := min(runtime.GOMAXPROCS(0), total/updateChunk)
	if workers <= 1 {
		for i := range params {
			p := &params[i]
			c.rule.update(p.Value, p.Grad[:len(p.Value)], c.slots[i*n:i*n+n])
		}
		return
	}
	if c.chunks == nil {
		for i := range params {
			for from := 0; from < len(params[i].Value); from += updateChunk {
				c.chunks = append(c.chunks, chunk{i, from, min(from+updateChunk, len(params[i].Value))})
			}
		}
	}
	chunks := c.chunks
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			state := make([][]float32, n)
			for {
				k := int(next.Add(1) - 1)
				if k >= len(chunks) {
					return
				}
				ch := chunks[k]
				p := &params[ch.param]
				for s, slot := range c.slots[ch.param*n : ch.param*n+n] {
					state[s] = slot[ch.from:ch.to]
				}
				c.rule.update(p.Value[ch.from:ch.to], p.Grad[ch.from:ch.to], state)
			}
		}()
	}
	wg.Wait()
}

// bind checks params against the layout of the earlier steps, or fixes the
// layout and creates the state on the first call.
func (c *core) bind(params []Param) error {
	if !c.bound {
		return c.layout(params)
	}
	if len(params) != len(c.names) {
		return fmt.Errorf("optim: %s was stepped with %d parameters, got %d", c.kind, len(c.names), len(params))
	}
	for i := range params {
		p := &params[i]
		if p.Name != c.names[i] {
			return fmt.Errorf("optim: %s parameter %d is %q, was %q", c.kind, i, p.Name, c.names[i])
		}
		if len(p.Value) != c.sizes[i] || len(p.Grad) != c.sizes[i] {
			return fmt.Errorf("optim: %s parameter %q has %d values and %d gradients, want %d",
				c.kind, p.Name, len(p.Value), len(p.Grad), c.sizes[i])
		}
	}
	return nil
}

// layout validates the parameters of the first Step, records their names and
// shapes and creates their state, from pending state where there is some.
func (c *core) layout(params []Param) error {
	seen := make(map[string]int, len(params))
	total := 0
	for i := range params {
		p := &params[i]
		if p.Name == "" {
			return fmt.Errorf("optim: %s parameter %d has no name", c.kind, i)
		}
		if _, dup := seen[p.Name]; dup {
			return fmt.Errorf("optim: %s parameter name %q used twice", c.kind, p.Name)
		}
		seen[p.Name] = i
		n, err := shapeSize(p.Shape)
		if err != nil {
			return fmt.Errorf("optim: %s parameter %q: %w", c.kind, p.Name, err)
		}
		if len(p.Value) != n || len(p.Grad) != n {
			return fmt.Errorf("optim: %s parameter %q of shape %v has %d values and %d gradients",
				c.kind, p.Name, p.Shape, len(p.Value), len(p.Grad))
		}
		total += n
	}
	if len(c.pending) > 0 {
		if err := c.matchPending(params, seen); err != nil {
			return err
		}
	}

	ns := len(c.slotNames)
	c.names = make([]string, len(params))
	c.shapes = make([][]int, len(params))
	c.sizes = make([]int, len(params))
	c.slots = make([][]float32, len(params)*ns)
	backing := make([]float32, total*ns) // one block keeps the state contiguous
	for i := range params {
		p := &params[i]
		c.names[i] = p.Name
		c.shapes[i] = slices.Clone(p.Shape)
		c.sizes[i] = len(p.Value)
		for j := range ns {
			c.slots[i*ns+j], backing = backing[:len(p.Value):len(p.Value)], backing[len(p.Value):]
		}
	}
	c.resetSlots()
	for _, e := range c.pending {
		i := seen[e.name]
		for j, d := range e.data {
			copy(c.slots[i*ns+j], d)
		}
	}
	c.pending = nil
	c.bound = true
	return nil
}

// matchPending checks that loaded state covers exactly the parameters of
// the first Step, with the same shapes.
func (c *core) matchPending(params []Param, index map[string]int) error {
	if len(c.pending) != len(params) {
		return fmt.Errorf("optim: loaded %s state holds %d parameters, Step got %d", c.kind, len(c.pending), len(params))
	}
	for _, e := range c.pending {
		i, ok := index[e.name]
		if !ok {
			return fmt.Errorf("optim: loaded %s state has parameter %q, Step has none of that name", c.kind, e.name)
		}
		if !slices.Equal(e.shape, params[i].Shape) {
			return fmt.Errorf("optim: loaded %s state gives %q shape %v, Step gives %v", c.kind, e.name, e.shape, params[i].Shape)
		}
	}
	return nil
}

func (c *core) resetSlots() {
	for _, s := range c.slots {
		for k := range s {
			s[k] = c.slotInit
		}
	}
}

// State returns a deep copy of the optimizer's state. Its tensors are named
// "<param>/<slot>", parameters in Step order and slots in a fixed order.
func (c *core) State() State {
	s := State{Kind: c.kind, Step: c.step, LearningRate: c.lr}
	add := func(name string, shape []int, data [][]float32) {
		for j, d := range data {
			s.Tensors = append(s.Tensors, Tensor{
				Name:  name + "/" + c.slotNames[j],
				Shape: slices.Clone(shape),
				Data:  slices.Clone(d),
			})
		}
	}
	if !c.bound {
		for _, e := range c.pending {
			add(e.name, e.shape, e.data)
		}
		return s
	}
	ns := len(c.slotNames)
	for i, name := range c.names {
		add(name, c.shapes[i], c.slots[i*ns:i*ns+ns])
	}
	return s
}

// LoadState restores a state returned by State of an optimizer of the same
// kind. Tensors are matched by name, in any order. Before the first Step the
// state is kept and matched to the parameters of that Step; after it, the
// state must name exactly the parameters stepped, with the same shapes.
// On error the optimizer is unchanged.
func (c *core) LoadState(s State) error {
	if s.Kind != c.kind {
		return fmt.Errorf("optim: cannot load %q state into a %s optimizer", s.Kind, c.kind)
	}
	if s.Step < 0 {
		return fmt.Errorf("optim: %s state has negative step count %d", c.kind, s.Step)
	}
	if err := checkRate(c.kind, "state learning rate", s.LearningRate); err != nil {
		return err
	}
	entries, err := c.parseTensors(s.Tensors)
	if err != nil {
		return err
	}
	if !c.bound || len(c.slotNames) == 0 {
		c.pending = entries
		c.step, c.lr = s.Step, s.LearningRate
		return nil
	}
	if len(entries) != len(c.names) {
		return fmt.Errorf("optim: %s state holds %d parameters, the optimizer %d", c.kind, len(entries), len(c.names))
	}
	index := make(map[string]int, len(c.names))
	for i, name := range c.names {
		index[name] = i
	}
	for _, e := range entries {
		i, ok := index[e.name]
		if !ok {
			return fmt.Errorf("optim: %s state has parameter %q, the optimizer has none of that name", c.kind, e.name)
		}
		if !slices.Equal(e.shape, c.shapes[i]) {
			return fmt.Errorf("optim: %s state gives %q shape %v, the optimizer has %v", c.kind, e.name, e.shape, c.shapes[i])
		}
	}
	ns := len(c.slotNames)
	for _, e := range entries {
		i := index[e.name]
		for j, d := range e.data {
			copy(c.slots[i*ns+j], d)
		}
	}
	c.step, c.lr = s.Step, s.LearningRate
	return nil
}

// parseTensors groups state tensors by parameter, in order of first
// appearance, checking names, shapes and that every parameter has every
// slot. The entries hold copies of the data.
func (c *core) parseTensors(ts []Tensor) ([]entry, error) {
	var entries []entry
	index := make(map[string]int)
	for _, t := range ts {
		cut := strings.LastIndexByte(t.Name, '/')
		if cut <= 0 {
			return nil, fmt.Errorf("optim: %s state tensor %q is not named <param>/<slot>", c.kind, t.Name)
		}
		param, slot := t.Name[:cut], t.Name[cut+1:]
		j := slices.Index(c.slotNames, slot)
		if j < 0 {
			return nil, fmt.Errorf("optim: %s state tensor %q has unknown slot %q (valid: %s)",
				c.kind, t.Name, slot, strings.Join(c.slotNames, ", "))
		}
		n, err := shapeSize(t.Shape)
		if err != nil {
			return nil, fmt.Errorf("optim: %s state tensor %q: %w", c.kind, t.Name, err)
		}
		if len(t.Data) != n {
			return nil, fmt.Errorf("optim: %s state tensor %q of shape %v has %d values", c.kind, t.Name, t.Shape, len(t.Data))
		}
		k, ok := index[param]
		if !ok {
			k = len(entries)
			index[param] = k
			entries = append(entries, entry{name: param, shape: slices.Clone(t.Shape), data: make([][]float32, len(c.slotNames))})
		}
		e := &entries[k]
		if e.data[j] != nil {
			return nil, fmt.Errorf("optim: %s state tensor %q appears twice", c.kind, t.Name)
		}
		if !slices.Equal(e.shape, t.Shape) {
			return nil, fmt.Errorf("optim: %s state tensor %q has shape %v, other slots of %q have %v",
				c.kind, t.Name, t.Shape, param, e.shape)
		}
		e.data[j] = slices.Clone(t.Data)
	}
	for _, e := range entries {
		for j, d := range e.data {
			if d == nil {
				return nil, fmt.Errorf("optim: %s state lacks tensor %q", c.kind, e.name+"/"+c.slotNames[j])
			}
		}
	}
	return entries, nil
}

// shapeSize returns the number of elements of a shape; an empty shape is a
// scalar.
func shapeSize(shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d <= 0 {
			return 0, fmt.Errorf("shape %v has a non-positive dimension", shape)
		}
		if n > math.MaxInt32/d {
			return 0, fmt.Errorf("shape %v is too large", shape)
		}
		n *= d
	}
	return n, nil
}

// sqrt32 is a float32 square root; the compiler turns it into one SQRTSS.
func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }

// orDefault returns def where v is the zero value of a setting.
func orDefault(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}

// checkRate accepts a finite, non-negative rate (learning rate, weight decay).
func checkRate(kind, what string, v float64) error {
	if !(v >= 0) || math.IsInf(v, 1) {
		return fmt.Errorf("optim: %s %s %g must be finite and non-negative", kind, what, v)
	}
	return nil
}

// checkBeta accepts a decay coefficient in [0, 1).
func checkBeta(kind, what string, v float64) error {
	if !(v >= 0 && v < 1) {
		return fmt.Errorf("optim: %s %s %g outside [0, 1)", kind, what, v)
	}
	return nil
}

// checkEpsilon accepts a finite, positive epsilon.
func checkEpsilon(kind string, v float64) error {
	if !(v > 0) || math.IsInf(v, 1) {
		return fmt.Errorf("optim: %s epsilon %g must be finite and positive", kind, v)
	}
	return nil
}

// firstError returns the first non-nil error.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
