package metrics_test

import (
	"fmt"

	"github.com/gozoo/gozoo/metrics"
)

func Example() {
	// Probabilities for 5 samples of 3 classes, as a model's softmax gives them.
	probs := []float32{
		0.7, 0.2, 0.1,
		0.1, 0.8, 0.1,
		0.2, 0.3, 0.5,
		0.6, 0.3, 0.1,
		0.1, 0.1, 0.8,
	}
	truth := []int{0, 1, 2, 1, 2}

	conf, err := metrics.NewConfusion(3)
	if err != nil {
		fmt.Println(err)
		return
	}
	pred := metrics.Argmax(probs, 3, nil)
	if err := conf.Update(pred, truth); err != nil {
		fmt.Println(err)
		return
	}
	report, err := conf.Report()
	if err != nil {
		fmt.Println(err)
		return
	}
	report, err = report.WithNames([]string{"cat", "dog", "bird"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(report)

	loss, err := metrics.LogLoss(probs, 3, truth)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("\nlog loss %.4f\n", loss)
	// Output:
	//               precision    recall  f1-score   support
	//
	//          cat       0.50      1.00      0.67         1
	//          dog       1.00      0.50      0.67         2
	//         bird       1.00      1.00      1.00         2
	//
	//     accuracy                           0.80         5
	//    macro avg       0.83      0.83      0.78         5
	// weighted avg       0.90      0.80      0.80         5
	//
	// log loss 0.5400
}

func ExampleMean() {
	var loss metrics.Mean
	loss.Add(0.5, 64) // mean loss of a batch of 64
	loss.Add(0.2, 16) // the last, partial batch
	fmt.Printf("%.2f over %d samples\n", loss.Value(), loss.Count())
	// Output: 0.44 over 80 samples
}

func ExampleROCAUC() {
	scores := []float64{0.1, 0.4, 0.35, 0.8}
	truth := []int{0, 0, 1, 1}
	auc, err := metrics.ROCAUC(scores, truth)
	fmt.Println(auc, err)
	// Output: 0.75 <nil>
}

func ExampleRegression() {
	var r metrics.Regression
	if err := r.Update([]float32{2.5, 0, 2}, []float32{3, -0.5, 2}); err != nil {
		fmt.Println(err)
		return
	}
	if err := r.Update([]float32{8}, []float32{7}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("MSE %.3f MAE %.3f R2 %.3f\n", r.MSE(), r.MAE(), r.R2())
	// Output: MSE 0.375 MAE 0.500 R2 0.949
}
