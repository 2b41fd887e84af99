package viz

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

// drawTimeout bounds one drawing in the tests. A history of extreme values
// used to spin forever in gonum/plot's tick code; the watchdog turns such a
// regression into a failure instead of a hung test run.
const drawTimeout = 30 * time.Second

// historyWithin draws epochs as format into memory, failing t if it takes
// longer than drawTimeout. The drawing goroutine of a hung call is left
// running: there is no way to stop it.
func historyWithin(t *testing.T, epochs []Epoch, format string) ([]byte, error) {
	t.Helper()
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		var buf bytes.Buffer
		err := History(epochs, &buf, format)
		done <- result{buf.Bytes(), err}
	}()
	select {
	case r := <-done:
		return r.data, r.err
	case <-time.After(drawTimeout):
		t.Fatalf("History of %+v did not return within %v", epochs, drawTimeout)
		return nil, nil
	}
}

// losses is a history with these training losses, one per epoch.
func losses(values ...float64) []Epoch {
	epochs := make([]Epoch, len(values))
	for i, v := range values {
		epochs[i] = Epoch{Epoch: i + 1, TrainLoss: v}
	}
	return epochs
}

func TestHistoryExtremeRanges(t *testing.T) {
	const huge = math.MaxFloat64
	tests := []struct {
		name    string
		epochs  []Epoch
		mention string // "" when the history must plot
	}{
		{"near the limits, mixed", losses(1e308, -1e308, 1.7e308), "loss values run from -1e+308 to 1.7e+308"},
		{"just over the span", losses(9e307, -9e307), "a span beyond float64"},
		{"both limits", losses(-huge, huge), "loss values run from"},
		{"validation against training", []Epoch{{Epoch: 1, TrainLoss: 1e308, ValLoss: -1e308, HasVal: true}, {Epoch: 2, TrainLoss: 1}}, "loss values"},
		{"accuracy", []Epoch{{Epoch: 1, TrainLoss: 1, TrainAccuracy: -huge, HasAccuracy: true}, {Epoch: 2, TrainLoss: 1, TrainAccuracy: huge, HasAccuracy: true}}, "accuracy values"},
		{"huge but representable span", losses(1e308, 1.7e308), ""},
		{"just under the span", losses(8.98e307, -8.98e307), ""},
		{"one huge value", losses(huge, huge), ""},
		{"one huge negative value", losses(-huge), ""},
		{"non-finite values are left out", losses(math.NaN(), math.Inf(1), math.Inf(-1), 2, 1), ""},
		{"no finite value", losses(math.NaN(), math.Inf(1)), ""},
		{"tiny values", losses(5e-324, 0, -5e-324), ""},
		{"far-apart epochs", []Epoch{{Epoch: math.MaxInt, TrainLoss: 1}, {Epoch: math.MinInt, TrainLoss: 2}}, ""},
		{"one epoch at MaxInt", []Epoch{{Epoch: math.MaxInt, TrainLoss: 1}}, ""},
	}
	for _, tt := range tests {
		for _, format := range []string{"svg", "png"} {
			t.Run(tt.name+" "+format, func(t *testing.T) {
				data, err := historyWithin(t, tt.epochs, format)
				if tt.mention == "" {
					if err != nil || len(data) == 0 {
						t.Fatalf("error %v, %d bytes; want a figure", err, len(data))
					}
					return
				}
				if !errors.Is(err, ErrRange) || !strings.Contains(err.Error(), tt.mention) {
					t.Fatalf("error %v, want ErrRange mentioning %q", err, tt.mention)
				}
				if len(data) != 0 {
					t.Errorf("wrote %d bytes on error", len(data))
				}
			})
		}
	}
}

// TestHistoryFileRange checks that HistoryFile refuses an overflowing range
// before it creates the file.
func TestHistoryFileRange(t *testing.T) {
	path := t.TempDir() + "/h.png"
	done := make(chan error, 1)
	go func() { done <- HistoryFile(losses(1e308, -1e308, 1.7e308), path) }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrRange) {
			t.Fatalf("error %v, want ErrRange", err)
		}
	case <-time.After(drawTimeout):
		t.Fatal("HistoryFile did not return")
	}
}
