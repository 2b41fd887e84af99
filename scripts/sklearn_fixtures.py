#!/usr/bin/python3
"""Write metrics/testdata/sklearn_fixtures.json: inputs and scikit-learn's outputs.

Run from the repository root with Debian's Python (python3-sklearn, python3-numpy):

    /usr/bin/python3 scripts/sklearn_fixtures.py

The Go tests in metrics/ read the JSON file and need no Python. Every random draw
comes from a seeded numpy Generator, so reruns with the same sklearn version give
the same file.
"""

import json
import os
import warnings

import numpy as np
import sklearn
from sklearn import metrics

OUT = os.path.join("metrics", "testdata", "sklearn_fixtures.json")

warnings.simplefilter("ignore")  # UndefinedMetricWarning for zero divisions is expected


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def maybe(f):
    """sklearn's value, or None where sklearn raises (the metric is undefined)."""
    try:
        return float(f())
    except ValueError:
        return None


def classification_case(name, truth, probs, pred=None, target_names=None, note=""):
    truth = np.asarray(truth, dtype=np.int64)
    probs = np.asarray(probs, dtype=np.float64)
    n, k = probs.shape
    if pred is None:
        pred = probs.argmax(axis=1)  # first maximum, like metrics.Argmax
    pred = np.asarray(pred, dtype=np.int64)
    labels = list(range(k))

    per = metrics.precision_recall_fscore_support(truth, pred, labels=labels, average=None, zero_division=0)
    averages = {}
    for avg in ("macro", "micro", "weighted"):
        p, r, f, _ = metrics.precision_recall_fscore_support(truth, pred, labels=labels, average=avg, zero_division=0)
        averages[avg] = {"precision": float(p), "recall": float(r), "f1_score": float(f)}

    out = {
        "name": name,
        "note": note,
        "classes": k,
        "truth": truth.tolist(),
        "pred": pred.tolist(),
        "probs": probs.ravel().tolist(),
        "accuracy": float(metrics.accuracy_score(truth, pred)),
        "confusion": metrics.confusion_matrix(truth, pred, labels=labels).tolist(),
        "precision": per[0].tolist(),
        "recall": per[1].tolist(),
        "f1": per[2].tolist(),
        "support": per[3].tolist(),
        "averages": averages,
        "log_loss": float(metrics.log_loss(truth, probs, labels=labels)),
        # float32 input: sklearn clips at np.finfo(float32).eps and computes in float32.
        "log_loss_float32": float(metrics.log_loss(truth, probs.astype(np.float32), labels=labels)),
        "report": metrics.classification_report(truth, pred, labels=labels, zero_division=0),
    }
    if target_names is not None:
        out["target_names"] = target_names
        out["report_named"] = metrics.classification_report(
            truth, pred, labels=labels, target_names=target_names, zero_division=0)
    if k == 2:
        out["roc_auc"] = maybe(lambda: metrics.roc_auc_score(truth, probs[:, 1]))
    else:
        out["roc_auc_ovr"] = maybe(lambda: metrics.roc_auc_score(
            truth, probs, multi_class="ovr", average="macro", labels=labels))
        # top_k_accuracy_score treats a y_true with two distinct values as binary.
        if len(np.unique(truth)) > 2:
            out["top_k"] = {str(kk): float(metrics.top_k_accuracy_score(truth, probs, k=kk, labels=labels))
                            for kk in range(1, k + 1)}
    return out


def regression_case(name, truth, pred, note=""):
    truth = np.asarray(truth, dtype=np.float64)
    pred = np.asarray(pred, dtype=np.float64)
    return {
        "name": name,
        "note": note,
        "truth": truth.tolist(),
        "pred": pred.tolist(),
        "mse": float(metrics.mean_squared_error(truth, pred)),
        "rmse": float(metrics.mean_squared_error(truth, pred, squared=False)),
        "mae": float(metrics.mean_absolute_error(truth, pred)),
        "r2": float(metrics.r2_score(truth, pred)),
    }


def main():
    rng = np.random.default_rng(20240601)
    cases = []

    # Binary: logits loosely tied to the truth.
    truth = rng.integers(0, 2, size=40)
    p1 = 1 / (1 + np.exp(-(1.5 * (2 * truth - 1) + rng.normal(0, 1.5, size=40))))
    cases.append(classification_case("binary", truth, np.stack([1 - p1, p1], axis=1),
                                     target_names=["negative", "positive"]))

    # Binary with heavy ties in the scores and exact 0 and 1 probabilities (clipping).
    truth = rng.integers(0, 2, size=30)
    p1 = np.round(np.clip(0.5 * truth + rng.uniform(0, 0.6, size=30), 0, 1), 1)
    p1[:3] = [0.0, 1.0, 0.0]
    truth[:3] = [1, 0, 0]
    cases.append(classification_case("binary_ties", truth, np.stack([1 - p1, p1], axis=1),
                                     note="scores rounded to 0.1; rows with p=0 and p=1"))

    # Three classes.
    truth = rng.integers(0, 3, size=60)
    logits = rng.normal(0, 1, size=(60, 3))
    logits[np.arange(60), truth] += 1.2
    cases.append(classification_case("three_class", truth, softmax(logits),
                                     target_names=["setosa", "versicolor", "virginica"]))

    # Five classes, class 3 is present in the truth but never predicted.
    truth = rng.integers(0, 5, size=80)
    logits = rng.normal(0, 1, size=(80, 5))
    logits[np.arange(80), truth] += 1.0
    logits[:, 3] -= 10
    cases.append(classification_case("five_class_never_predicted", truth, softmax(logits),
                                     note="class 3 never predicted: precision 0 by zero_division=0"))

    # Four classes, class 2 never occurs in the truth but is predicted.
    truth = rng.choice([0, 1, 3], size=50)
    logits = rng.normal(0, 1, size=(50, 4))
    logits[np.arange(50), truth] += 1.0
    logits[:, 2] += 0.8
    cases.append(classification_case("four_class_absent_truth", truth, softmax(logits),
                                     note="class 2 absent from truth: recall 0, ROC AUC OvR undefined"))

    # Multiclass ties in the scores (top-k tie order) and a class absent from both.
    probs = np.array([
        [0.4, 0.4, 0.2, 0.0],
        [0.25, 0.25, 0.25, 0.25],
        [0.1, 0.45, 0.45, 0.0],
        [0.5, 0.25, 0.25, 0.0],
        [0.2, 0.2, 0.6, 0.0],
        [0.3, 0.3, 0.4, 0.0],
    ])
    truth = [0, 2, 1, 2, 0, 1]
    cases.append(classification_case("multiclass_ties", truth, probs,
                                     note="tied scores; class 3 in neither truth nor predictions"))

    regression = []
    truth = rng.normal(10, 3, size=50)
    regression.append(regression_case("random", truth, truth + rng.normal(0, 1.5, size=50)))
    regression.append(regression_case("constant_truth_imperfect", [2.5] * 6, [2.5, 2.0, 3.0, 2.5, 2.5, 1.0],
                                      note="sklearn force_finite: R2 0.0 when truth is constant and predictions are not exact"))
    regression.append(regression_case("constant_truth_perfect", [2.5] * 4, [2.5] * 4,
                                      note="sklearn force_finite: R2 1.0 when truth is constant and predictions are exact"))
    regression.append(regression_case("worse_than_mean", [1.0, 2.0, 3.0, 4.0], [4.0, 3.0, 2.0, 1.0]))

    doc = {
        "generator": "scripts/sklearn_fixtures.py",
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "conventions": "labels=range(classes), zero_division=0; pred is argmax(probs) with the first maximum",
        "classification": cases,
        "regression": regression,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print("wrote", OUT, "with sklearn", sklearn.__version__)


if __name__ == "__main__":
    main()
