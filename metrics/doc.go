// Package metrics provides evaluation metrics for classification and
// regression on plain Go slices: streaming accumulators for training loops
// (Mean, Confusion, Regression) and pure functions that follow scikit-learn's
// conventions (Accuracy, TopKAccuracy, PrecisionRecallF1, ConfusionMatrix,
// LogLoss, ROCAUC, ROCAUCOneVsRest, MSE, RMSE, MAE, R2), with Argmax and
// Softmax to turn a model's row-major outputs into labels and probabilities.
//
// Conventions, shared by every function here:
//
//   - Arguments come predictions first, truth second: Accuracy(pred, truth).
//   - Class labels are integers in [0, classes); scores and probabilities are
//     row-major, one row of classes values per sample.
//   - Every class in [0, classes) takes part in per-class results and macro
//     averages, like scikit-learn called with labels=range(classes).
//   - Undefined ratios count as 0, like scikit-learn's zero_division=0: a class
//     never predicted has precision 0, a class absent from the truth recall 0.
//   - Empty input, mismatched lengths and out-of-range labels are errors.
//
// The golden values in testdata/sklearn_fixtures.json come from
// scripts/sklearn_fixtures.py and scikit-learn 1.2.1.
//
// The shortest use, a confusion matrix filled batch by batch:
//
//	conf, err := metrics.NewConfusion(3)
//	if err != nil { ... }
//	for each batch {
//		pred := metrics.Argmax(probs, 3, pred)
//		if err := conf.Update(pred, labels); err != nil { ... }
//	}
//	report, err := conf.Report()
//	fmt.Print(report)
package metrics
