#!/usr/bin/python3
"""Export scikit-learn's bundled toy datasets to io/csvdata/data/*.csv.

Run from the repository root with Debian's Python (python3-sklearn):

    /usr/bin/python3 scripts/export_sklearn_datasets.py

Each file has a header row with sklearn's feature names and a last column
named "target". Values are written with Python's repr, which round-trips
float64 exactly.

  iris           150 x 4,  target = class name (setosa, versicolor, virginica)
  wine           178 x 13, target = class index 0, 1, 2
  breast-cancer  569 x 30, target = 0 malignant, 1 benign (sklearn's coding)
  diabetes       442 x 10, raw features (scaled=False), target = disease
                 progression one year after baseline
"""

import csv
import os

import sklearn
from sklearn import datasets

OUT = os.path.join("io", "csvdata", "data")


def write(name, bunch, target):
    path = os.path.join(OUT, name + ".csv")
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(list(bunch.feature_names) + ["target"])
        for row, y in zip(bunch.data, target):
            w.writerow([repr(float(v)) for v in row] + [y])
    print("wrote", path, bunch.data.shape)


def main():
    os.makedirs(OUT, exist_ok=True)
    iris = datasets.load_iris()
    write("iris", iris, [iris.target_names[t] for t in iris.target])
    wine = datasets.load_wine()
    write("wine", wine, [int(t) for t in wine.target])
    cancer = datasets.load_breast_cancer()
    write("breast-cancer", cancer, [int(t) for t in cancer.target])
    diabetes = datasets.load_diabetes(scaled=False)
    write("diabetes", diabetes, [repr(float(t)) for t in diabetes.target])
    print("sklearn", sklearn.__version__)


if __name__ == "__main__":
    main()
