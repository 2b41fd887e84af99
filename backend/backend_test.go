package backend

import (
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/blas/gonum"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// useGonumAfter puts the default back when t ends: Use changes process-wide
// state that later tests in the package share.
func useGonumAfter(t *testing.T) {
	t.Cleanup(func() {
		if err := Use(Gonum); err != nil {
			t.Fatal(err)
		}
	})
}

func TestUse(t *testing.T) {
	useGonumAfter(t)
	for _, tc := range []struct {
		name    string
		use     string
		want    string // Name() afterwards
		wantErr string // substring of the error; "" for none
	}{
		{name: "gonum", use: "gonum", want: Gonum},
		{name: "empty means gonum", use: "", want: Gonum},
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
			if _, ok := tensor.WhichBLAS().(gonum.Implementation); !ok {
				t.Errorf("tensor.WhichBLAS() = %T, want gonum.Implementation", tensor.WhichBLAS())
			}
			if _, ok := gorgonia.WhichBLAS().(gonum.Implementation); !ok {
				t.Errorf("gorgonia.WhichBLAS() = %T, want gonum.Implementation", gorgonia.WhichBLAS())
			}
		})
	}
}

func TestOpenBLASAvailability(t *testing.T) {
	useGonumAfter(t)
	built := slices.Contains(Available(), OpenBLAS)
	if Available()[0] != Gonum {
		t.Errorf("Available() = %v, want gonum first", Available())
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
	if Name() != Gonum {
		t.Errorf("Name() = %q after a failed Use, want gonum kept", Name())
	}
}

// A BLAS set directly through gorgonia is named by its type.
func TestNameOther(t *testing.T) {
	useGonumAfter(t)
	gorgonia.Use(other{})
	if got, want := Name(), "backend.other"; got != want {
		t.Errorf("Name() = %q, want %q", got, want)
	}
}

type other struct{ gonum.Implementation }
