// Package loader provides the dataset interfaces gozoo trains on and turns a
// dataset into shuffled mini-batches of sample indices.
//
// A training epoch is a permutation of the sample indices cut into batches;
// the Fill functions then copy one batch's inputs and targets into the flat
// float32 buffers a model reads:
//
//	rng := rand.New(rand.NewPCG(seed, 0))
//	batches, err := loader.Epoch(ds.Len(), 64, rng)
//	for _, batch := range batches {
//		err = loader.FillInputs(ds, batch, x)  // len(x) = len(batch) * 784
//		err = loader.FillOneHot(ds, batch, y)  // len(y) = len(batch) * 10
//		...
//	}
package loader
