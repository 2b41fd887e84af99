package recipes

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gozoo/gozoo/io/loader"
)

// KeyPosition holds, in a checkpoint written in the middle of an epoch (by
// a cancelled Fit), where in that epoch training stopped: JSON of
// epochPosition. A checkpoint at an epoch boundary has no such key.
const KeyPosition = "epoch_position"

// epochPosition is how far a cancelled Fit got into an epoch: enough to
// replay the epoch's shuffle and carry on with its next batch, so that the
// continued run matches the uninterrupted one bit for bit.
type epochPosition struct {
	// Epoch is the epoch in progress (Trainer.Epoch + 1).
	Epoch int `json:"epoch"`
	// Batch is the number of its batches already trained; it may equal
	// Batches when only the epoch's validation and callbacks were left.
	Batch   int `json:"batch"`
	Batches int `json:"batches"`
	// Samples and BatchSize are the dataset size and batch size of the
	// epoch: a continuation must use the same, or its batches differ.
	Samples   int `json:"samples"`
	BatchSize int `json:"batch_size"`
	// Shuffle is the random source's binary state before the epoch's
	// shuffle, from which the same batches are drawn again.
	Shuffle []byte `json:"shuffle_rng"`
	// The epoch's running figures so far: the sum of batch losses times
	// batch sizes over Samples seen, and the correct argmax predictions.
	LossSum float64 `json:"loss_sum"`
	Seen    int     `json:"seen"`
	Correct int     `json:"correct"`
}

func (p *epochPosition) validate() error {
	switch {
	case p.Epoch < 1:
		return fmt.Errorf("epoch %d is not positive", p.Epoch)
	case p.Batches < 1 || p.Batch < 0 || p.Batch > p.Batches:
		return fmt.Errorf("batch %d of %d", p.Batch, p.Batches)
	case p.Samples < 1 || p.BatchSize < 1 || (p.Samples+p.BatchSize-1)/p.BatchSize != p.Batches:
		return fmt.Errorf("%d batches do not fit %d samples in batches of %d", p.Batches, p.Samples, p.BatchSize)
	case p.Seen < 0 || p.Seen > p.Samples || p.Correct < 0 || p.Correct > p.Seen:
		return fmt.Errorf("%d correct of %d seen of %d samples", p.Correct, p.Seen, p.Samples)
	case math.IsNaN(p.LossSum) || math.IsInf(p.LossSum, 0):
		return fmt.Errorf("loss sum %v is not finite", p.LossSum)
	}
	if err := (&rand.PCG{}).UnmarshalBinary(p.Shuffle); err != nil {
		return fmt.Errorf("shuffle state: %w", err)
	}
	return nil
}

func decodePosition(raw string) (*epochPosition, error) {
	var p epochPosition
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		return nil, fmt.Errorf("recipes: checkpoint %s: %w", KeyPosition, err)
	}
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("recipes: checkpoint %s: %w", KeyPosition, err)
	}
	return &p, nil
}

func (p *epochPosition) marshal() (string, error) {
	data, err := json.Marshal(p)
	return string(data), err
}

// epochRun is the state of one epoch of Fit: its batches and running
// figures, fresh or continued from a position.
type epochRun struct {
	epoch   int
	batches [][]int
	next    int // index of the next batch to train
	lossSum float64
	seen    int
	correct int
}

// startEpoch shuffles the next epoch, or replays the shuffle of the epoch
// a cancelled Fit (or a checkpoint) left in progress and skips the batches
// it trained.
func (t *Trainer) startEpoch(train loader.Dataset, batchSize int) (*epochRun, error) {
	epoch := t.Epoch + 1
	if p := t.position; p != nil {
		if p.Epoch != epoch {
			return nil, fmt.Errorf("recipes: trainer is at epoch %d but holds a position in epoch %d", t.Epoch, p.Epoch)
		}
		if p.Samples != train.Len() || p.BatchSize != batchSize {
			return nil, fmt.Errorf("recipes: epoch %d was interrupted after batch %d of %d samples in batches of %d; continue it with the same data and batch size, not %d samples in batches of %d",
				p.Epoch, p.Batch, p.Samples, p.BatchSize, train.Len(), batchSize)
		}
		src := &rand.PCG{}
		if err := src.UnmarshalBinary(p.Shuffle); err != nil {
			return nil, fmt.Errorf("recipes: epoch position: %w", err)
		}
		batches, err := loader.Epoch(train.Len(), batchSize, rand.New(src))
		if err != nil {
			return nil, err
		}
		t.epochStart = append(t.epochStart[:0], p.Shuffle...)
		return &epochRun{epoch: epoch, batches: batches, next: p.Batch, lossSum: p.LossSum, seen: p.Seen, correct: p.Correct}, nil
	}
	state, err := t.Source.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("recipes: random source: %w", err)
	}
	t.epochStart = state
	batches, err := loader.Epoch(train.Len(), batchSize, t.rng)
	if err != nil {
		return nil, err
	}
	return &epochRun{epoch: epoch, batches: batches}, nil
}

// stopAt records where e stopped, for the next Fit and for checkpoints.
func (t *Trainer) stopAt(e *epochRun, samples, batchSize int) {
	t.position = &epochPosition{
		Epoch: e.epoch, Batch: e.next, Batches: len(e.batches), Samples: samples, BatchSize: batchSize,
		Shuffle: append([]byte(nil), t.epochStart...), LossSum: e.lossSum, Seen: e.seen, Correct: e.correct,
	}
}

// InEpoch reports how many batches of epoch Epoch+1 the trainer has
// already trained and of how many: nonzero after Fit was cancelled in the
// middle of an epoch, or for a trainer from such a checkpoint. The next
// Fit continues that epoch with its remaining batches.
func (t *Trainer) InEpoch() (batch, batches int) {
	if t.position == nil {
		return 0, 0
	}
	return t.position.Batch, t.position.Batches
}
