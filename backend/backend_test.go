package backend

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/blas/gonum"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// useDefaultAfter puts the default back when t ends: Use changes process-wide
// state that later tests in the package share.
func useDefaultAfter(t *testing.T) {
	t.Cleanup(func() {
		if err := Use(""); err != nil {
			t.Fatal(err)
		}
	})
}

func TestUse(t *testing.T) {
	useDefaultAfter(t)
	for _, tc := range []struct {
		name    string
		use     string
		want    string // Name() afterwards
		wantErr string // substring of the error; "" for none
	}{
		{name: "gonum", use: "gonum", want: Gonum},
		{name: "gozoo", use: "gozoo", want: Gozoo},
		{name: "empty means gozoo", use: "", want: Gozoo},
		{name: "unknown", use: "bogus", wantErr: `backend: unknown BLAS "bogus"`},
		{name: "case matters", use: "Gonum", wantErr: "unknown BLAS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Use(tc.use)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Use(%q): %v", tc.use, err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("Use(%q) = %v, want an error containing %q", tc.use, err, tc.wantErr)
			}
			if tc.wantErr != "" {
				return
			}
			if got := Name(); got != tc.want {
				t.Errorf("Name() = %q, want %q", got, tc.want)
			}
			// Both of Gorgonia's BLAS hooks follow: tensor's (MatMul)
			// and gorgonia's (the convolution).
			if tb, gb := fmt.Sprintf("%T", tensor.WhichBLAS()), fmt.Sprintf("%T", gorgonia.WhichBLAS()); tb != gb {
				t.Errorf("tensor.WhichBLAS() = %s but gorgonia.WhichBLAS() = %s", tb, gb)
			}
		})
	}
}

func TestOpenBLASAvailability(t *testing.T) {
	useDefaultAfter(t)
	built := slices.Contains(Available(), OpenBLAS)
	if Available()[0] != Gozoo {
		t.Errorf("Available() = %v, want gozoo first", Available())
	}
	err := Use(OpenBLAS)
	if built {
		if err != nil {
			t.Fatalf("Use(openblas) in an openblas build: %v", err)
		}
		if Name() != OpenBLAS {
			t.Errorf("Name() = %q after Use(openblas)", Name())
		}
		return
	}
	if err == nil || !strings.Contains(err.Error(), "-tags openblas") {
		t.Fatalf("Use(openblas) without the tag = %v, want an error saying how to build it", err)
	}
	if Name() != Gozoo {
		t.Errorf("Name() = %q after a failed Use, want the default, gozoo, kept", Name())
	}
}

// A BLAS set directly through gorgonia is named by its type.
func TestNameOther(t *testing.T) {
	useDefaultAfter(t)
	gorgonia.Use(other{})
	if got, want := Name(), "backend.other"; got != want {
		t.Errorf("Name() = %q, want %q", got, want)
	}
}

type other struct{ gonum.Implementation }
