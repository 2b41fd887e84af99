package viz_test

import (
	"bytes"
	"fmt"
	"image/png"

	"github.com/gozoo/gozoo/viz"
)

func ExampleHistory() {
	epochs := []viz.Epoch{
		{Epoch: 1, TrainLoss: 0.62, ValLoss: 0.35, TrainAccuracy: 0.83, ValAccuracy: 0.90, HasVal: true, HasAccuracy: true},
		{Epoch: 2, TrainLoss: 0.30, ValLoss: 0.27, TrainAccuracy: 0.91, ValAccuracy: 0.92, HasVal: true, HasAccuracy: true},
		{Epoch: 3, TrainLoss: 0.24, ValLoss: 0.25, TrainAccuracy: 0.93, ValAccuracy: 0.93, HasVal: true, HasAccuracy: true},
	}
	var buf bytes.Buffer // or viz.HistoryFile(epochs, "curves.png")
	if err := viz.History(epochs, &buf, "png"); err != nil {
		fmt.Println(err)
		return
	}
	cfg, err := png.DecodeConfig(&buf)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("loss and accuracy side by side: %dx%d PNG\n", cfg.Width, cfg.Height)
	// Output:
	// loss and accuracy side by side: 768x384 PNG
}

func ExampleConfusion() {
	matrix := [][]int{ // rows: true class; columns: predicted class
		{48, 2, 0},
		{1, 43, 6},
		{0, 4, 46},
	}
	names := []string{"setosa", "versicolor", "virginica"}
	var buf bytes.Buffer // or viz.ConfusionFile(matrix, names, "cm.svg")
	if err := viz.Confusion(matrix, names, &buf, "svg"); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(bytes.Contains(buf.Bytes(), []byte("<svg")))

	err := viz.Confusion([][]int{{1, 2}, {3}}, nil, &buf, "svg")
	fmt.Println(err)
	// Output:
	// true
	// viz: bad shape: confusion matrix row 1 has 1 entries, want 2 (one per row: the matrix must be square)
}
