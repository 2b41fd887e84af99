package recipes

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/gozoo/gozoo/io/modelfile"
	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/nn"
	"github.com/gozoo/gozoo/optim"
	"github.com/gozoo/gozoo/zoo"
)

// Checkpoint metadata keys, beside the model-file keys of package zoo.
const (
	KeyCheckpoint     = "checkpoint" // format version of the checkpoint keys: "1"
	KeyEpoch          = "epoch"
	KeyStep           = "step"
	KeyRNGState       = "rng_state" // base64 of the PCG's binary state
	KeyOptimizer      = "optimizer" // JSON optim.Config
	KeyOptimizerState = "optimizer_state"
	KeyCallbacks      = "callbacks" // JSON object: state key -> callback state
	KeyLoss           = "loss"

	optimPrefix = "optim/"
)

// Stateful is a callback whose state must survive a resume, such as a
// learning-rate schedule's position or early stopping's best value.
type Stateful interface {
	StateKey() string
	MarshalState() ([]byte, error)
	UnmarshalState([]byte) error
}

// CheckpointFile returns the training state as a model file: the model's
// parameters and card (Trainer.Card), the optimizer's state tensors (named "optim/<param>/<slot>"),
// and metadata holding the epoch, step, random source, optimizer settings
// and the state of every Stateful callback. extra metadata is added as given.
// A trainer stopped in the middle of an epoch (InEpoch) also saves where
// (KeyPosition), so that the checkpoint resumes that epoch exactly.
func (t *Trainer) CheckpointFile(callbacks []Callback, extra map[string]string) (*modelfile.File, error) {
	if err := t.ready(true); err != nil {
		return nil, err
	}
	m, ok := t.Model.(zoo.Model)
	if !ok {
		return nil, fmt.Errorf("recipes: checkpoints need a model that describes itself (a zoo.Model, such as any *nn.Sequential of gozoo's layers), got %T", t.Model)
	}
	oc, err := optim.ConfigOf(t.Optimizer)
	if err != nil {
		return nil, err
	}
	st := t.Optimizer.State()
	rngState, err := t.Source.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("recipes: random source: %w", err)
	}
	cbState := map[string]json.RawMessage{}
	for _, c := range callbacks {
		if s, ok := c.(Stateful); ok {
			if _, dup := cbState[s.StateKey()]; dup {
				return nil, fmt.Errorf("recipes: two callbacks have state key %q; a checkpoint holds one", s.StateKey())
			}
			data, err := s.MarshalState()
			if err != nil {
				return nil, fmt.Errorf("recipes: state of %s: %w", s.StateKey(), err)
			}
			cbState[s.StateKey()] = data
		}
	}
	var jsonErr error
	toJSON := func(v any) string {
		data, err := json.Marshal(v)
		if err != nil && jsonErr == nil {
			jsonErr = fmt.Errorf("recipes: checkpoint metadata: %w", err)
		}
		return string(data)
	}
	meta := map[string]string{
		KeyCheckpoint: "1",
		KeyEpoch:      strconv.Itoa(t.Epoch),
		KeyStep:       strconv.FormatInt(t.Step, 10),
		KeyRNGState:   base64.StdEncoding.EncodeToString(rngState),
		KeyOptimizer:  toJSON(oc),
		KeyOptimizerState: toJSON(optimizerScalars{
			Kind: st.Kind, Step: st.Step, LearningRate: st.LearningRate,
		}),
		KeyCallbacks: toJSON(cbState),
		KeyLoss:      t.Loss.Name(),
	}
	if jsonErr != nil {
		return nil, jsonErr
	}
	if t.position != nil {
		pos, err := t.position.marshal()
		if err != nil {
			return nil, fmt.Errorf("recipes: checkpoint metadata: %w", err)
		}
		meta[KeyPosition] = pos
	}
	for k, v := range extra {
		if _, taken := meta[k]; taken || k == KeyPosition {
			return nil, fmt.Errorf("recipes: metadata key %q is reserved", k)
		}
		meta[k] = v
	}
	f, err := zoo.File(m, t.Card, meta)
	if err != nil {
		return nil, err
	}
	for _, ts := range st.Tensors {
		f.Tensors = append(f.Tensors, modelfile.Tensor{Name: optimPrefix + ts.Name, Shape: ts.Shape, Data: ts.Data})
	}
	return f, nil
}

type optimizerScalars struct {
	Kind         string  `json:"kind"`
	Step         int64   `json:"step"`
	LearningRate float64 `json:"learning_rate"`
}

// SaveCheckpoint writes CheckpointFile atomically to path: a crash during
// the save leaves an earlier checkpoint at path intact.
func (t *Trainer) SaveCheckpoint(path string, callbacks []Callback, extra map[string]string) error {
	f, err := t.CheckpointFile(callbacks, extra)
	if err != nil {
		return err
	}
	return modelfile.WriteFileAtomic(path, f)
}

// Checkpoint is a decoded training checkpoint.
type Checkpoint struct {
	Model zoo.Model
	// Card is the model card saved with the checkpoint, or nil.
	Card      *modelcard.Card
	Optimizer optim.Optimizer
	Epoch     int
	Step      int64
	// Batch and Batches are, for a checkpoint written in the middle of an
	// epoch, the batches of epoch Epoch+1 already trained and its total;
	// both are 0 at an epoch boundary.
	Batch, Batches int
	File           *modelfile.File

	position  *epochPosition
	rngState  []byte
	callbacks map[string]json.RawMessage
}

// LoadCheckpoint reads a checkpoint written by SaveCheckpoint and rebuilds
// the model and the optimizer with its state.
func LoadCheckpoint(path string) (*Checkpoint, error) {
	f, err := modelfile.ReadFile(path)
	if err != nil {
		return nil, err
	}
	ck, err := checkpointFromFile(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ck, nil
}

func checkpointFromFile(f *modelfile.File) (*Checkpoint, error) {
	meta := f.Metadata
	if meta[KeyCheckpoint] != "1" {
		return nil, fmt.Errorf("recipes: not a checkpoint (metadata %q is %q, want \"1\")", KeyCheckpoint, meta[KeyCheckpoint])
	}
	ck := &Checkpoint{File: f}
	var err error
	if ck.Epoch, err = strconv.Atoi(meta[KeyEpoch]); err != nil || ck.Epoch < 0 {
		return nil, fmt.Errorf("recipes: checkpoint epoch %q is not a count", meta[KeyEpoch])
	}
	if ck.Step, err = strconv.ParseInt(meta[KeyStep], 10, 64); err != nil || ck.Step < 0 {
		return nil, fmt.Errorf("recipes: checkpoint step %q is not a count", meta[KeyStep])
	}
	if ck.rngState, err = base64.StdEncoding.DecodeString(meta[KeyRNGState]); err != nil {
		return nil, fmt.Errorf("recipes: checkpoint random state: %w", err)
	}
	if err := (&rand.PCG{}).UnmarshalBinary(ck.rngState); err != nil {
		return nil, fmt.Errorf("recipes: checkpoint random state: %w", err)
	}
	if raw, ok := meta[KeyPosition]; ok {
		if ck.position, err = decodePosition(raw); err != nil {
			return nil, err
		}
		if ck.position.Epoch != ck.Epoch+1 {
			return nil, fmt.Errorf("recipes: checkpoint of epoch %d holds a position in epoch %d", ck.Epoch, ck.position.Epoch)
		}
		ck.Batch, ck.Batches = ck.position.Batch, ck.position.Batches
	}
	if err := json.Unmarshal([]byte(meta[KeyCallbacks]), &ck.callbacks); err != nil {
		return nil, fmt.Errorf("recipes: checkpoint callback state: %w", err)
	}
	var oc optim.Config
	if err := json.Unmarshal([]byte(meta[KeyOptimizer]), &oc); err != nil {
		return nil, fmt.Errorf("recipes: checkpoint optimizer: %w", err)
	}
	if ck.Optimizer, err = optim.FromConfig(oc); err != nil {
		return nil, err
	}
	var sc optimizerScalars
	if err := json.Unmarshal([]byte(meta[KeyOptimizerState]), &sc); err != nil {
		return nil, fmt.Errorf("recipes: checkpoint optimizer state: %w", err)
	}
	st := optim.State{Kind: sc.Kind, Step: sc.Step, LearningRate: sc.LearningRate}
	model := &modelfile.File{Metadata: meta}
	for _, t := range f.Tensors {
		if name, ok := strings.CutPrefix(t.Name, optimPrefix); ok {
			st.Tensors = append(st.Tensors, optim.Tensor{Name: name, Shape: t.Shape, Data: t.Data})
		} else {
			model.Tensors = append(model.Tensors, t)
		}
	}
	if err := ck.Optimizer.LoadState(st); err != nil {
		return nil, err
	}
	if ck.Model, ck.Card, err = zoo.FromFile(model); err != nil {
		return nil, err
	}
	return ck, nil
}

// Trainer returns a trainer that continues the checkpointed run: same
// model, optimizer state, counters and random source.
func (ck *Checkpoint) Trainer(loss nn.Loss) (*Trainer, error) {
	if ck == nil || ck.File == nil || isNil(ck.Model) || isNil(ck.Optimizer) {
		return nil, fmt.Errorf("recipes: checkpoint is empty (load it with LoadCheckpoint)")
	}
	if isNil(loss) {
		return nil, fmt.Errorf("recipes: resuming a checkpoint needs a loss")
	}
	if name := ck.File.Metadata[KeyLoss]; name != "" && name != loss.Name() {
		return nil, fmt.Errorf("recipes: checkpoint was trained with loss %s, not %s", name, loss.Name())
	}
	t, err := NewTrainer(ck.Model, loss, ck.Optimizer, 0)
	if err != nil {
		return nil, err
	}
	if err := t.Source.UnmarshalBinary(ck.rngState); err != nil {
		return nil, fmt.Errorf("recipes: checkpoint random state: %w", err)
	}
	t.Epoch, t.Step, t.Card = ck.Epoch, ck.Step, ck.Card
	if ck.position != nil {
		p := *ck.position
		p.Shuffle = append([]byte(nil), p.Shuffle...)
		t.position = &p
	}
	return t, nil
}

// RestoreCallbacks gives each Stateful callback the state saved under its
// key, if any.
func (ck *Checkpoint) RestoreCallbacks(callbacks []Callback) error {
	if ck == nil {
		return fmt.Errorf("recipes: no checkpoint to restore callbacks from")
	}
	for i, c := range callbacks {
		if isNil(c) {
			return fmt.Errorf("recipes: callback %d is nil", i+1)
		}
		s, ok := c.(Stateful)
		if !ok {
			continue
		}
		if data, ok := ck.callbacks[s.StateKey()]; ok {
			if err := s.UnmarshalState(data); err != nil {
				return fmt.Errorf("recipes: restore %s: %w", s.StateKey(), err)
			}
		}
	}
	return nil
}
