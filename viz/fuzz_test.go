package viz

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"testing"
)

// historyFile mirrors the history.json that gozoo train writes
// (recipes.History) and gozoo plot reads: the fields History plots.
type historyFile struct {
	Epochs []struct {
		Epoch         int     `json:"epoch"`
		TrainLoss     float64 `json:"train_loss"`
		TrainAccuracy float64 `json:"train_accuracy,omitempty"`
		ValLoss       float64 `json:"val_loss,omitempty"`
		ValAccuracy   float64 `json:"val_accuracy,omitempty"`
		ValSamples    int     `json:"val_samples,omitempty"`
	} `json:"epochs"`
}

// epochsOf converts a history file the way gozoo plot does: an epoch has
// validation figures when it counted validation samples, and the run has
// accuracy when any epoch reports one.
func epochsOf(h historyFile) []Epoch {
	hasAccuracy := false
	for _, e := range h.Epochs {
		hasAccuracy = hasAccuracy || e.TrainAccuracy > 0 || e.ValAccuracy > 0
	}
	epochs := make([]Epoch, len(h.Epochs))
	for i, e := range h.Epochs {
		epochs[i] = Epoch{
			Epoch: e.Epoch, TrainLoss: e.TrainLoss, ValLoss: e.ValLoss,
			TrainAccuracy: e.TrainAccuracy, ValAccuracy: e.ValAccuracy,
			HasVal: e.ValSamples > 0, HasAccuracy: hasAccuracy,
		}
	}
	return epochs
}

// maxFuzzEpochs keeps one fuzz input's drawing fast.
const maxFuzzEpochs = 200

// FuzzHistoryJSON decodes arbitrary bytes as a history.json and draws what
// decodes: History must return, an error or a figure, and never panic or
// hang (the watchdog fails an input that takes over drawTimeout).
func FuzzHistoryJSON(f *testing.F) {
	seeds := []string{
		`{"epochs":[{"epoch":1,"train_loss":0.9,"val_loss":1.0,"val_samples":100,"train_accuracy":0.7,"val_accuracy":0.6},{"epoch":2,"train_loss":0.5,"val_loss":0.7,"val_samples":100,"train_accuracy":0.8,"val_accuracy":0.75}]}`,
		`{"epochs":[{"epoch":1,"train_loss":1e308},{"epoch":2,"train_loss":-1e308},{"epoch":3,"train_loss":1.7e308}]}`,
		`{"epochs":[{"epoch":1,"train_loss":1.7976931348623157e308},{"epoch":1,"train_loss":1.7976931348623157e308}]}`,
		`{"epochs":[{"epoch":9223372036854775807,"train_loss":1},{"epoch":-9223372036854775808,"train_loss":2}]}`,
		`{"epochs":[{"epoch":3,"train_loss":5e-324,"val_loss":-5e-324,"val_samples":1}]}`,
		`{"epochs":[{"epoch":1,"train_loss":1,"train_accuracy":-1e308},{"epoch":2,"train_loss":1,"val_accuracy":1e308}]}`,
		`{"epochs":[]}`,
		`{"epochs":null}`,
		`[]`,
	}
	for _, s := range seeds {
		f.Add([]byte(s), false)
	}
	f.Add([]byte(seeds[0]), true)
	f.Fuzz(func(t *testing.T, data []byte, png bool) {
		var h historyFile
		if json.Unmarshal(data, &h) != nil || len(h.Epochs) > maxFuzzEpochs {
			return
		}
		format := "svg"
		if png {
			format = "png"
		}
		out, err := historyWithin(t, epochsOf(h), format)
		if err == nil && len(out) == 0 {
			t.Fatal("no error and no figure")
		}
	})
}

// FuzzHistoryValues draws epochs whose every field comes from the fuzz
// input's bits, NaN, infinities and subnormals included, which JSON cannot
// express: 41 bytes per epoch (an int64 epoch number, four float64 values
// and a byte of flags).
func FuzzHistoryValues(f *testing.F) {
	const size = 41
	epoch := func(n int64, trainLoss, valLoss, trainAcc, valAcc float64, flags byte) []byte {
		b := binary.LittleEndian.AppendUint64(nil, uint64(n))
		for _, v := range []float64{trainLoss, valLoss, trainAcc, valAcc} {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
		return append(b, flags)
	}
	cat := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	f.Add(cat(epoch(1, 0.9, 1, 0.5, 0.4, 3), epoch(2, 0.5, 0.7, 0.7, 0.6, 3)))
	f.Add(cat(epoch(1, 1e308, 0, 0, 0, 0), epoch(2, -1e308, 0, 0, 0, 0), epoch(3, 1.7e308, 0, 0, 0, 0)))
	f.Add(cat(epoch(1, math.NaN(), math.Inf(1), math.Inf(-1), math.NaN(), 3), epoch(2, 1, 2, 0.5, 0.5, 3)))
	f.Add(cat(epoch(math.MaxInt64, math.MaxFloat64, -math.MaxFloat64, 0, 0, 1), epoch(math.MinInt64, 5e-324, 0, 0, 0, 0)))
	f.Add(epoch(1<<62, math.MaxFloat64, 0, 0, 0, 0))
	f.Fuzz(func(t *testing.T, data []byte) {
		n := min(len(data)/size, maxFuzzEpochs)
		if n == 0 {
			return
		}
		epochs := make([]Epoch, n)
		for i := range epochs {
			b := data[i*size : (i+1)*size]
			word := func(k int) uint64 { return binary.LittleEndian.Uint64(b[8*k:]) }
			epochs[i] = Epoch{
				Epoch:         int(int64(word(0))),
				TrainLoss:     math.Float64frombits(word(1)),
				ValLoss:       math.Float64frombits(word(2)),
				TrainAccuracy: math.Float64frombits(word(3)),
				ValAccuracy:   math.Float64frombits(word(4)),
				HasVal:        b[40]&1 != 0,
				HasAccuracy:   b[40]&2 != 0,
			}
		}
		out, err := historyWithin(t, epochs, "svg")
		if err == nil && len(out) == 0 {
			t.Fatal("no error and no figure")
		}
	})
}
