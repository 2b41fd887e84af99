package backend_test

import (
	"fmt"

	"github.com/gozoo/gozoo/backend"
)

// Pick the BLAS once, at start-up, before any model is built. "openblas"
// works only in a binary built with -tags openblas; elsewhere Use says how
// to build one.
func ExampleUse() {
	if err := backend.Use(backend.Gonum); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(backend.Name())
	// Output: gonum
}
