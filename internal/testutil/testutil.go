// Package testutil holds helpers shared by gozoo's tests.
package testutil

import (
	"math"
	"testing"
)

// Close reports whether a and b agree within an absolute tolerance atol plus
// a relative tolerance rtol of the larger magnitude.
func Close(a, b, atol, rtol float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return false
	}
	return math.Abs(a-b) <= atol+rtol*math.Max(math.Abs(a), math.Abs(b))
}

// AllClose fails t for each element of got that is not close to want.
func AllClose(t testing.TB, what string, got, want []float64, atol, rtol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d values, want %d", what, len(got), len(want))
	}
	bad := 0
	for i := range got {
		if !Close(got[i], want[i], atol, rtol) {
			if bad < 5 {
				t.Errorf("%s[%d] = %.8g, want %.8g", what, i, got[i], want[i])
			}
			bad++
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d of %d values differ", what, bad, len(got))
	}
}

// SameBits fails t unless got and want hold the same float32 bit patterns:
// -0 differs from 0, and NaNs must match to the payload.
func SameBits(t testing.TB, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: value %d is %v (%#08x), want %v (%#08x) bit for bit",
				what, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}
