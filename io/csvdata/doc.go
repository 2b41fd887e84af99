// Package csvdata provides tabular datasets read from CSV files: a header row,
// numeric feature columns and one named target column, for classification
// (string or integer labels) or regression (real targets).
//
// The usual path is Load, a split (StratifiedSplit for classification,
// RandomSplit for regression), a Standardizer fitted on the training part
// only, and datasets that implement the interfaces of package
// github.com/gozoo/gozoo/io/loader:
//
//	table, err := csvdata.Load(file, "iris.csv", csvdata.Options{Target: "target"})
//	train, test, err := table.StratifiedSplit(0.2, 1)
//	std, err := csvdata.FitStandardizer(train)
//	trainSet, err := train.ClassDataset(std) // a loader.Classified
//	testSet, err := test.ClassDataset(std)
//
// Four of scikit-learn's toy datasets ship inside the package (iris, wine,
// breast-cancer, diabetes); see Builtin and LoadBuiltin, and data/LICENSE-sklearn.txt
// for their origins and licence.
//
// Load bounds what a file can cost: a row of at most MaxRowBytes (1 MiB), at
// most MaxFields (10,000) fields and cells of at most MaxCellBytes (64 KiB),
// checked as the bytes arrive (ErrTooLarge); errors quote at most 40 bytes
// of a bad value. A classification target needs two classes (ErrOneClass)
// and a split leaves at least MinPartRows rows in each part.
//
// The package does not import Gorgonia.
package csvdata
