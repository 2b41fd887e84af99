package metrics

import "testing"

// TestLogLossNormalisesRows checks LogLoss on rows that do not sum to 1.
// scikit-learn's log_loss clips each probability to [eps, 1-eps] and then
// divides each row by its sum; LogLoss does the same, so that scores
// which are not probabilities give sklearn's number rather than a loss
// that rewards inflating every score. The clipping comes first, so scores
// above 1 all count as 1-eps (the "raw scores" case: a row of 3, 1, 1 is
// uniform); LogLoss wants probabilities, or rows that are off by a factor
// below 1. The expected values are from
// scikit-learn 1.2.1 with numpy 1.24.2 (Debian bookworm's python3-sklearn),
// which normalises such rows without a warning:
//
//	log_loss(truth, np.array(probs, dtype=np.float64 or np.float32), labels=range(classes))
func TestLogLossNormalisesRows(t *testing.T) {
	tests := []struct {
		name         string
		probs        [][]float64
		truth        []int
		want, want32 float64
	}{
		{"rows sum to 2", [][]float64{{1.4, 0.6}, {0.2, 1.8}, {1.0, 1.0}}, []int{0, 1, 1},
			0.4484907888665452, 0.44849085244483594},
		{"rows sum to 0.5", [][]float64{{0.3, 0.1, 0.1}, {0.05, 0.4, 0.05}, {0.1, 0.1, 0.3}}, []int{0, 1, 2},
			0.41493159961539705, 0.41493156815739063},
		{"raw scores", [][]float64{{3, 1, 1}, {1, 2, 7}, {2, 2, 2}, {0.5, 4, 0.5}}, []int{0, 2, 1, 1},
			0.9972460116410685, 0.9972460041904889},
		{"zeros clipped, then normalised", [][]float64{{0, 0, 1}, {0, 2, 0}, {0, 0, 0}}, []int{2, 0, 1},
			12.38075522592842, 5.680332589790812},
		{"one row off among normalised ones", [][]float64{{0.7, 0.3}, {0.2, 0.8}, {3, 1}}, []int{0, 1, 1},
			0.4243218919376292, 0.4243218926472084},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			classes := len(tt.probs[0])
			var flat []float64
			var flat32 []float32
			for _, row := range tt.probs {
				for _, p := range row {
					flat = append(flat, p)
					flat32 = append(flat32, float32(p))
				}
			}
			got, err := LogLoss(flat, classes, tt.truth)
			if err != nil {
				t.Fatal(err)
			}
			checkNear(t, "LogLoss float64", got, tt.want, 1e-12)
			got32, err := LogLoss(flat32, classes, tt.truth)
			if err != nil {
				t.Fatal(err)
			}
			checkNear(t, "LogLoss float32", got32, tt.want32, 1e-6)

		})
	}
}

// TestLogLossRowScale checks that dividing each row by its own factor, which
// keeps every value inside the clipping range, leaves the loss unchanged.
func TestLogLossRowScale(t *testing.T) {
	probs := []float64{0.7, 0.2, 0.1, 0.05, 0.9, 0.05, 0.3, 0.3, 0.4}
	truth := []int{0, 1, 2}
	want, err := LogLoss(probs, 3, truth)
	if err != nil {
		t.Fatal(err)
	}
	for _, factors := range [][3]float64{{0.5, 0.5, 0.5}, {1, 0.25, 0.01}, {1e-3, 0.9, 0.6}} {
		scaled := make([]float64, len(probs))
		for i, p := range probs {
			scaled[i] = p * factors[i/3]
		}
		got, err := LogLoss(scaled, 3, truth)
		if err != nil {
			t.Fatal(err)
		}
		checkNear(t, "LogLoss of scaled rows", got, want, 1e-12)
	}
}
