package viz

import "errors"

// Sentinel errors that callers may branch on with errors.Is.
var (
	// ErrEmpty reports a plot of no data: no epochs, or a 0x0 matrix.
	ErrEmpty = errors.New("viz: empty input")
	// ErrShape reports a confusion matrix that is not square, or class
	// names that do not match its size.
	ErrShape = errors.New("viz: bad shape")
	// ErrFormat reports an image format other than png or svg.
	ErrFormat = errors.New("viz: unsupported image format")
	// ErrRange reports values too far apart to plot on one axis: their
	// span overflows float64.
	ErrRange = errors.New("viz: range too wide to plot")
)
