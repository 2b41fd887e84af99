package metrics

import (
	"encoding/binary"
	"math"
	"testing"
)

// floatsOf reads data as little-endian float64 bits: every value, NaN and
// the infinities included, is reachable.
func floatsOf(data []byte) []float64 {
	v := make([]float64, len(data)/8)
	for i := range v {
		v[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
	}
	return v
}

// labelsOf reads one label a byte, as a signed value so that negative
// labels occur.
func labelsOf(data []byte) []int {
	l := make([]int, len(data))
	for i, b := range data {
		l[i] = int(int8(b))
	}
	return l
}

// inUnit fails t unless err is nil and v is in [0, 1], or err is set.
func inUnit(t *testing.T, what string, v float64, err error) {
	t.Helper()
	if err == nil && !(v >= 0 && v <= 1) {
		t.Fatalf("%s = %v, want a value in [0, 1]", what, v)
	}
}

// FuzzMetrics feeds every metric arbitrary scores, labels and class
// counts: none may panic, and a value returned without an error must be
// in its range (fractions in [0, 1], losses and errors non-negative).
func FuzzMetrics(f *testing.F) {
	bits := func(v ...float64) []byte {
		var b []byte
		for _, x := range v {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
		}
		return b
	}
	f.Add(bits(0.9, 0.1, 0.2, 0.8, 0.5, 0.5), []byte{0, 1, 1}, []byte{0, 1, 0}, 2, 1)
	f.Add(bits(3, 1, 1, 1, 2, 7), []byte{0, 2}, []byte{0, 2}, 3, 2)
	f.Add(bits(math.NaN(), 1, math.Inf(1), math.Inf(-1)), []byte{0, 1}, []byte{1, 1}, 2, 1)
	f.Add(bits(0, 0, 0, 0), []byte{0, 0}, []byte{0, 0}, 2, 5)
	f.Add(bits(1, 2), []byte{0xff, 3}, []byte{200, 1}, 2, 0)
	f.Add(bits(math.MaxFloat64, -math.MaxFloat64, 5e-324, -0.0), []byte{0, 1}, []byte{1, 0}, 2, 1)
	// Class counts whose product with the sample count overflows int.
	f.Add(bits(), []byte{0, 1}, []byte{0, 1}, math.MinInt, 1)
	f.Add(bits(1), []byte{0, 1}, []byte{0, 1}, 1<<63-1, 1)
	f.Add(bits(), []byte{0, 0}, []byte{0, 0}, 1<<62, 1)
	f.Add(bits(), []byte{0, 1, 2, 3}, []byte{0, 1, 2, 3}, 1<<62, 1) // 4 x 2^62 wraps to 0 scores
	f.Add(bits(), []byte{0}, []byte{0}, 1<<32, 1)
	f.Fuzz(func(t *testing.T, scoreBits, truthBytes, predBytes []byte, classes, k int) {
		scores := floatsOf(scoreBits)
		truth, pred := labelsOf(truthBytes), labelsOf(predBytes)

		ll, err := LogLoss(scores, classes, truth)
		if err == nil && !(ll >= 0) {
			t.Fatalf("LogLoss = %v", ll)
		}
		scores32 := make([]float32, len(scores))
		for i, s := range scores {
			scores32[i] = float32(s)
		}
		ll, err = LogLoss(scores32, classes, truth)
		if err == nil && !(ll >= 0) {
			t.Fatalf("LogLoss float32 = %v", ll)
		}
		v, err := TopKAccuracy(scores, classes, truth, k)
		inUnit(t, "TopKAccuracy", v, err)
		v, err = ROCAUCOneVsRest(scores, classes, truth)
		inUnit(t, "ROCAUCOneVsRest", v, err)
		column := scores[:min(len(scores), len(truth))]
		v, err = ROCAUC(column, truth[:len(column)])
		inUnit(t, "ROCAUC", v, err)
		if am := Argmax(scores, classes, nil); am != nil {
			for _, a := range am {
				if a < 0 || a >= classes {
					t.Fatalf("Argmax gave %d for %d classes", a, classes)
				}
			}
		}
		if sm := Softmax(scores, classes, nil); sm != nil && len(sm) != len(scores) {
			t.Fatalf("Softmax gave %d values for %d", len(sm), len(scores))
		}

		v, err = Accuracy(pred, truth)
		inUnit(t, "Accuracy", v, err)
		// A confusion matrix allocates classes², so class counts are kept
		// small here; those above the limit must be refused.
		cc := classes
		if cc > 64 && cc <= MaxConfusionClasses {
			cc %= 64
		}
		if _, err := ConfusionMatrix(pred, truth, cc); err == nil && cc > MaxConfusionClasses {
			t.Fatalf("ConfusionMatrix of %d classes accepted", cc)
		}
		if s, err := AveragedPrecisionRecallF1(pred, truth, cc, Average(k%4)); err == nil {
			inUnit(t, "precision", s.Precision, nil)
			inUnit(t, "recall", s.Recall, nil)
			inUnit(t, "F1", s.F1, nil)
		}
		if c, err := NewConfusion(cc); err == nil {
			if c.Update(pred, truth) == nil {
				inUnit(t, "Confusion.Accuracy", c.Accuracy(), nil)
				if r, err := c.Report(); err == nil {
					_ = r.String()
				}
			}
		}

		half := len(scores) / 2
		for _, m := range []func([]float64, []float64) (float64, error){MSE[float64], RMSE[float64], MAE[float64]} {
			if v, err := m(scores[:half], scores[half:2*half]); err == nil && v < 0 {
				t.Fatalf("regression error %v < 0", v)
			}
		}
		if v, err := R2(scores[:half], scores[half:2*half]); err == nil && v > 1 {
			t.Fatalf("R2 = %v > 1", v)
		}
	})
}
