package recipes

import (
	"encoding/json"
	"fmt"
	"math"
)

// Metric names the figure of EpochStats that a callback watches. The zero
// value is ValLoss.
type Metric int

// The metrics a callback can watch; String gives the names ParseMetric reads.
const (
	ValLoss       Metric = iota // "val_loss", lower is better
	ValAccuracy                 // "val_accuracy", higher is better
	TrainLoss                   // "train_loss", lower is better
	TrainAccuracy               // "train_accuracy", higher is better
)

// String returns the metric's name, the JSON field of EpochStats it reads.
func (m Metric) String() string {
	switch m {
	case ValLoss:
		return "val_loss"
	case ValAccuracy:
		return "val_accuracy"
	case TrainLoss:
		return "train_loss"
	case TrainAccuracy:
		return "train_accuracy"
	}
	return fmt.Sprintf("Metric(%d)", int(m))
}

// ParseMetric returns the metric named as String writes it, for command
// lines and configs.
func ParseMetric(name string) (Metric, error) {
	for m := ValLoss; m <= TrainAccuracy; m++ {
		if m.String() == name {
			return m, nil
		}
	}
	return 0, fmt.Errorf("recipes: unknown metric %q (valid: val_loss, val_accuracy, train_loss, train_accuracy)", name)
}

// LowerIsBetter reports whether the metric improves by falling (a loss)
// rather than rising (an accuracy).
func (m Metric) LowerIsBetter() bool { return m == ValLoss || m == TrainLoss }

// Value returns the metric's figure in s, and false where s has none: a
// validation metric of an epoch without validation data, or an unknown
// metric. Whether the loss gives accuracies at all cannot be seen from s;
// the callbacks check that when training begins.
func (m Metric) Value(s *EpochStats) (float64, bool) {
	if s == nil {
		return 0, false
	}
	switch m {
	case ValLoss:
		return s.ValLoss, s.ValSamples > 0
	case ValAccuracy:
		return s.ValAccuracy, s.ValSamples > 0
	case TrainLoss:
		return s.TrainLoss, true
	case TrainAccuracy:
		return s.TrainAccuracy, true
	}
	return 0, false
}

func (m Metric) validate(who string) error {
	if m < ValLoss || m > TrainAccuracy {
		return fmt.Errorf("recipes: %s monitors unknown metric %d", who, int(m))
	}
	return nil
}

// checkRun reports why m cannot be watched in r's training, so that a
// callback fails before the first epoch rather than after it.
func (m Metric) checkRun(r *Run, who string) error {
	if err := m.validate(who); err != nil {
		return err
	}
	if (m == ValLoss || m == ValAccuracy) && r.Options.Validation == nil {
		return fmt.Errorf("recipes: %s monitors %s, but Fit has no validation data", who, m)
	}
	if (m == ValAccuracy || m == TrainAccuracy) && !r.Trainer.Loss.Classification() {
		return fmt.Errorf("recipes: %s monitors %s, but loss %s gives no accuracy", who, m, r.Trainer.Loss.Name())
	}
	return nil
}

// observe returns m's value in s, or an error naming who wanted it.
func (m Metric) observe(s *EpochStats, who string) (float64, error) {
	v, ok := m.Value(s)
	if !ok {
		return 0, fmt.Errorf("recipes: %s: epoch %d has no %s", who, s.Epoch, m)
	}
	return v, nil
}

// best is the best value of a metric seen so far and its epoch. It is kept
// finite (a non-finite value never improves) so that it fits in JSON.
type best struct {
	Value float64 `json:"best"`
	Has   bool    `json:"has_best"`
	Epoch int     `json:"best_epoch"`
}

// update records v of epoch if it beats the best by more than minDelta
// under m's direction, and reports whether it did.
func (b *best) update(m Metric, v, minDelta float64, epoch int) bool {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return false
	}
	if b.Has {
		better := v > b.Value+minDelta
		if m.LowerIsBetter() {
			better = v < b.Value-minDelta
		}
		if !better {
			return false
		}
	}
	*b = best{Value: v, Has: true, Epoch: epoch}
	return true
}

// decodeState unmarshals a callback's saved state into state and checks b,
// the best value it holds.
func decodeState(who string, data []byte, state any, b *best) error {
	if err := json.Unmarshal(data, state); err != nil {
		return fmt.Errorf("recipes: %s state: %w", who, err)
	}
	if b.Epoch < 0 {
		return fmt.Errorf("recipes: %s state has best epoch %d", who, b.Epoch)
	}
	return nil
}

// continuing reports whether r continues a trainer's earlier training (a
// second Fit, or a resumed checkpoint), whose callback state carries on; a
// Fit from the start of epoch 1 starts callback state afresh.
func continuing(r *Run) bool { return r.Trainer.Epoch > 0 || r.Trainer.position != nil }
