package csvdata

import (
	"bytes"
	"embed"
	"fmt"
	"slices"
	"strings"
)

//go:embed data/iris.csv data/wine.csv data/breast-cancer.csv data/diabetes.csv
var builtinFiles embed.FS

// BuiltinNames returns the names Builtin accepts: breast-cancer (569 x 30,
// classes 0 malignant and 1 benign), diabetes (442 x 10 raw features,
// regression), iris (150 x 4, three named classes) and wine (178 x 13, classes
// 0, 1, 2). Each has a last column named "target". The files in data/ were
// exported from scikit-learn 1.2.1 by scripts/export_sklearn_datasets.py.
func BuiltinNames() []string {
	return []string{"breast-cancer", "diabetes", "iris", "wine"}
}

// Builtin returns a copy of a bundled CSV file by name.
func Builtin(name string) ([]byte, error) {
	names := BuiltinNames()
	if !slices.Contains(names, name) {
		return nil, fmt.Errorf("csvdata: no built-in dataset %q, want one of %s", name, strings.Join(names, ", "))
	}
	return builtinFiles.ReadFile("data/" + name + ".csv")
}

// LoadBuiltin loads a bundled dataset; see BuiltinNames. The zero Options
// take its "target" column with the task it was made for.
func LoadBuiltin(name string, opts Options) (*Table, error) {
	data, err := Builtin(name)
	if err != nil {
		return nil, err
	}
	return Load(bytes.NewReader(data), name, opts)
}
