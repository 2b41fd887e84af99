package csvdata_test

import (
	"fmt"
	"strings"

	"github.com/gozoo/gozoo/io/csvdata"
)

func Example() {
	table, err := csvdata.LoadBuiltin("iris", csvdata.Options{Target: "target"})
	if err != nil {
		fmt.Println(err)
		return
	}
	train, test, err := table.StratifiedSplit(0.2, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	std, err := csvdata.FitStandardizer(train) // training rows only
	if err != nil {
		fmt.Println(err)
		return
	}
	trainSet, err := train.ClassDataset(std)
	if err != nil {
		fmt.Println(err)
		return
	}
	testSet, err := test.ClassDataset(std)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(table.Task, table.Len(), "rows of", trainSet.InputShape(), "features")
	fmt.Println("classes", trainSet.ClassNames())
	fmt.Println("train", trainSet.Len(), "test", testSet.Len())
	// Output:
	// classify 150 rows of [4] features
	// classes [setosa versicolor virginica]
	// train 120 test 30
}

func ExampleLoad_error() {
	csv := "height,weight,species\n1.2,30,cat\n1.4,NA,dog\n"
	_, err := csvdata.Load(strings.NewReader(csv), "pets.csv", csvdata.Options{Target: "species"})
	fmt.Println(err)
	// Output: csvdata: pets.csv line 3, column 2 "weight": missing value "NA"
}
