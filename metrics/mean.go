package metrics

// Mean is a weighted running mean, such as the mean loss over batches of
// different sizes: Add(batchLoss, batchSize). The zero value is an empty mean.
type Mean struct {
	sum   float64
	count int
}

// Add adds value with the given weight. Weights below 1 are ignored.
func (m *Mean) Add(value float64, weight int) {
	if weight < 1 {
		return
	}
	m.sum += value * float64(weight)
	m.count += weight
}

// Value returns the weighted mean, or 0 when nothing was added.
func (m *Mean) Value() float64 {
	if m.count == 0 {
		return 0
	}
	return m.sum / float64(m.count)
}

// Count returns the total weight added.
func (m *Mean) Count() int { return m.count }

// Reset empties the mean.
func (m *Mean) Reset() { *m = Mean{} }
