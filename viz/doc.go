// Package viz provides the plots a training run needs: loss and accuracy
// curves per epoch (History) and a labelled confusion-matrix heatmap
// (Confusion), written as PNG or SVG.
//
// It depends only on the standard library and gonum.org/v1/plot, so callers
// convert their own types first: a training history into []Epoch, a
// confusion matrix into [][]int with rows the true class and columns the
// predicted one.
//
// The shortest use:
//
//	epochs := []viz.Epoch{
//		{Epoch: 1, TrainLoss: 0.9, ValLoss: 1.0, HasVal: true},
//		{Epoch: 2, TrainLoss: 0.5, ValLoss: 0.7, HasVal: true},
//	}
//	if err := viz.HistoryFile(epochs, "curves.png"); err != nil { ... }
//	if err := viz.ConfusionFile([][]int{{9, 1}, {2, 8}}, nil, "cm.svg"); err != nil { ... }
//
// Non-finite values in a history (NaN, ±Inf) are left out of the curves;
// finite values too far apart for one axis (a span beyond float64, such as
// -1e308 and 1e308) are an error, ErrRange.
// Drawing never panics: a failure inside gonum/plot comes back as an error.
package viz
