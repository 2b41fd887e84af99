package modelcard

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/io/csvdata"
)

// The "input" metadata gozoo 0.1.0 wrote for an MNIST MLP (copied from such
// a file) still reads, as the card MNIST gives today.
func TestVersion1MetadataReads(t *testing.T) {
	old := `{"dataset":"mnist","shape":[784],"class_names":["0","1","2","3","4","5","6","7","8","9"],"mean":[0],"std":[1]}`
	c, ok, err := FromMetadata(map[string]string{"input": old})
	if err != nil || !ok {
		t.Fatalf("FromMetadata: %v, %v", ok, err)
	}
	if !reflect.DeepEqual(c, MNIST([]int{784})) {
		t.Errorf("card %+v, want MNIST's", c)
	}
	if got := MNIST([]int{784}).Metadata()["input"]; got != old {
		t.Errorf("MNIST card encodes as\n%s\nwant the version-1 form\n%s", got, old)
	}
	if _, ok, err := FromMetadata(map[string]string{}); ok || err != nil {
		t.Errorf("no card: ok %v, err %v", ok, err)
	}
}

func TestFromMetadataErrors(t *testing.T) {
	for _, tc := range []struct{ json, want string }{
		{`{"dataset":"mnist","shape":[784],"code":"x"}`, `unknown field "code"`},
		{`{"dataset":"mnist","shape":[784]} {}`, "trailing data"},
		{`{"dataset":"mnist","shape":[]}`, "1 to 4 dimensions"},
		{`{"dataset":"mnist","shape":[0]}`, "out of range"},
		{`{"dataset":"mnist","shape":[1099511627776]}`, "out of range"},
		{`{"dataset":"x","shape":[4],"task":"cluster"}`, `unknown task "cluster"`},
		{`{"dataset":"x","shape":[4],"mean":[0],"std":[0]}`, "stds must be positive"},
		{`{"dataset":"x","shape":[4],"mean":[0,1],"std":[1]}`, "2 means but 1 stds"},
		{`{"dataset":"x","shape":[4],"task":"regress","class_names":["a"]}`, "no class names"},
		{`{"dataset":"csv","shape":[2]}`, "needs its features and standardizer"},
		{`{"dataset":"csv","shape":[3],"features":["a","b"],"standardizer":{"mean":[0,0],"std":[1,1]}}`, "does not match 2 features"},
		{`{"dataset":"x","shape":[1],"task":"regress","target_scale":{"mean":0,"std":-1}}`, "target scale"},
		{`{"dataset":"x","shape":[1],"class_names":["` + strings.Repeat("n", 300) + `"]}`, "longer than 256"},
	} {
		_, _, err := FromMetadata(map[string]string{"input": tc.json})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.json, err, tc.want)
		}
	}
}

func TestCheckModel(t *testing.T) {
	c := MNIST([]int{1, 28, 28})
	if err := c.CheckModel([]int{1, 28, 28}, 10); err != nil {
		t.Fatal(err)
	}
	if err := c.CheckModel([]int{784}, 10); err == nil || !strings.Contains(err.Error(), "takes input [784], its card says [1 28 28]") {
		t.Errorf("shape: %v", err)
	}
	if err := c.CheckModel([]int{1, 28, 28}, 9); err == nil || !strings.Contains(err.Error(), "10 class names for a model with 9 outputs") {
		t.Errorf("classes: %v", err)
	}
	r := &Card{Dataset: "x", Shape: []int{3}, Task: Regress, TargetScale: &TargetScale{Mean: 1, Std: 2}}
	if err := r.CheckModel([]int{3}, 2); err == nil {
		t.Error("a scaled regression with 2 outputs: no error")
	}
	if c.ClassName(3) != "3" || (&Card{}).ClassName(7) != "7" {
		t.Error("ClassName")
	}
}

func TestImageLayout(t *testing.T) {
	flat, err := MNIST([]int{784}).ImageLayout()
	if err != nil || flat.Channels != 1 || flat.Height != 28 || flat.Width != 28 || !flat.AutoInvert {
		t.Errorf("flat MNIST layout %+v, %v", flat, err)
	}
	rgb := &Card{Dataset: CIFAR10Dataset, Shape: []int{3, 32, 32}, Mean: []float32{0.5, 0.5, 0.5}, Std: []float32{0.2, 0.2, 0.2}}
	l, err := rgb.ImageLayout()
	if err != nil || l.Channels != 3 || l.AutoInvert {
		t.Errorf("CIFAR-10 layout %+v, %v", l, err)
	}
	for _, c := range []*Card{
		{Dataset: "mnist", Shape: []int{783}, Mean: []float32{0}, Std: []float32{1}},
		{Dataset: "csv", Shape: []int{4}},
		{Dataset: "x", Shape: []int{2, 2}, Mean: []float32{0}, Std: []float32{1}},
		{Dataset: "x", Shape: []int{3, 8, 8}, Mean: []float32{0}, Std: []float32{1}}, // one mean for 3 channels
		{Dataset: "x", Shape: []int{1, 8, 8}, Task: Regress},
	} {
		if _, err := c.ImageLayout(); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
}

// Table fits the standardiser and target scale on the training rows only,
// and Data rebuilds the very same split.
func TestTableCardAndData(t *testing.T) {
	c, err := Table(TableSource{CSV: "diabetes", Task: "regress", Split: 0.2, ValSplit: 0.15, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if c.Task != Regress || len(c.Features) != 10 || c.TargetScale == nil || c.Standardizer == nil {
		t.Fatalf("card %+v", c)
	}
	d, err := c.Data("")
	if err != nil {
		t.Fatal(err)
	}
	if d.Train.Len()+d.Val.Len()+d.Test.Len() != 442 || d.Validation() != d.Val {
		t.Errorf("rows %d + %d + %d", d.Train.Len(), d.Val.Len(), d.Test.Len())
	}
	// The target scale is the training rows' own mean and spread.
	scaled := d.Train.(*ScaledTargets)
	var sum, ss float64
	var v [1]float32
	for i := range d.Train.Len() {
		sum += float64(scaled.RawTarget(i))
	}
	mean := sum / float64(d.Train.Len())
	for i := range d.Train.Len() {
		dv := float64(scaled.RawTarget(i)) - mean
		ss += dv * dv
		scaled.Target(i, v[:])
		if want := (float64(scaled.RawTarget(i)) - c.TargetScale.Mean) / c.TargetScale.Std; math.Abs(float64(v[0])-want) > 1e-5 {
			t.Fatalf("scaled target %v, want %v", v[0], want)
		}
	}
	if math.Abs(mean-c.TargetScale.Mean) > 1e-9 || math.Abs(math.Sqrt(ss/float64(d.Train.Len()))-c.TargetScale.Std) > 1e-9 {
		t.Errorf("target scale %+v, training rows have mean %v", *c.TargetScale, mean)
	}
	row, err := c.Row(make([]float64, 10))
	if err != nil || len(row) != 10 {
		t.Errorf("Row: %v %v", row, err)
	}
	if _, err := c.Row([]float64{1}); err == nil || !strings.Contains(err.Error(), "1 values, the model takes 10 features") {
		t.Errorf("short row: %v", err)
	}

	iris, err := Table(TableSource{CSV: "iris", Split: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	if iris.Task != Classify || !reflect.DeepEqual(iris.ClassNames, []string{"setosa", "versicolor", "virginica"}) {
		t.Errorf("iris card %+v", iris)
	}
	if _, err := Table(TableSource{CSV: "iris", Split: 1}); err == nil {
		t.Error("split 1: no error")
	}
	dir := t.TempDir()
	if _, err := Table(TableSource{CSV: dir, Split: 0.2}); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a folder as the table: %v", err)
	}
	if _, err := (&Card{Dataset: "mine", Shape: []int{3}}).Data(""); err == nil || !strings.Contains(err.Error(), "not one gozoo can load") {
		t.Errorf("own dataset: %v", err)
	}
	if _, err := (&Card{Dataset: CSVDataset, CSV: "iris", Split: 0.2, Features: []string{"x"}, Standardizer: &csvdata.Standardizer{}, Shape: []int{1}}).Data(""); err == nil {
		t.Error("features that do not match the table: no error")
	}
}
