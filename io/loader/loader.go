package loader

// Dataset is a finite, indexable set of samples. Inputs are float32 values
// produced on demand (datasets keep their compact form, such as uint8 pixels,
// in memory and scale per batch).
type Dataset interface {
	// Len is the number of samples.
	Len() int
	// InputShape is the shape of one sample's input, e.g. [784] or [1 28 28].
	InputShape() []int
	// Input writes sample i's input into dst, whose length is the product of
	// InputShape.
	Input(i int, dst []float32)
}

// Classified is a dataset whose samples carry a class label in [0, Classes).
type Classified interface {
	Dataset
	Classes() int
	Label(i int) int
}

// Regression is a dataset whose samples carry a real-valued target vector.
type Regression interface {
	Dataset
	TargetSize() int
	// Target writes sample i's target into dst (length TargetSize).
	Target(i int, dst []float32)
}
