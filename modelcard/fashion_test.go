package modelcard

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/internal/testutil"
	"github.com/gozoo/gozoo/io/download"
	"github.com/gozoo/gozoo/io/loader"
)

func TestFashionMNISTCard(t *testing.T) {
	// The names and their order are the dataset's README's label table.
	want := []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}
	for _, shape := range [][]int{{784}, {1, 28, 28}} {
		c := FashionMNIST(shape)
		if c.Dataset != FashionMNISTDataset || !reflect.DeepEqual(c.Shape, shape) || !reflect.DeepEqual(c.ClassNames, want) {
			t.Errorf("card %+v", c)
		}
		if !c.IsImage() || c.Validate() != nil || c.CheckModel(shape, 10) != nil || c.ClassName(9) != "Ankle boot" {
			t.Errorf("%v: IsImage %v, Validate %v, CheckModel %v", shape, c.IsImage(), c.Validate(), c.CheckModel(shape, 10))
		}
		l, err := c.ImageLayout()
		if err != nil || l.Channels != 1 || l.Height != 28 || l.Width != 28 || !l.AutoInvert {
			t.Errorf("%v: layout %+v, %v", shape, l, err)
		}
		back, ok, err := FromMetadata(c.Metadata())
		if !ok || err != nil || !reflect.DeepEqual(back, c) {
			t.Errorf("%v: card read back as %+v, %v", shape, back, err)
		}
	}
	// The card keeps its own copy of the shape.
	shape := []int{784}
	c := FashionMNIST(shape)
	shape[0] = 1
	if c.Shape[0] != 784 {
		t.Error("the card shares the caller's shape")
	}
}

// Data reads a Fashion-MNIST folder with MNIST's reader: a fixture of a
// few gzipped IDX images, given as dir.
func TestFashionMNISTData(t *testing.T) {
	dir := testutil.IDXFolder(t, 3, 2)
	d, err := FashionMNIST([]int{1, 28, 28}).Data(dir)
	if err != nil {
		t.Fatal(err)
	}
	if d.Train.Len() != 3 || d.Test.Len() != 2 || d.Val != nil || !reflect.DeepEqual(d.Train.InputShape(), []int{1, 28, 28}) {
		t.Fatalf("train %d, test %d, input shape %v", d.Train.Len(), d.Test.Len(), d.Train.InputShape())
	}
	train := d.Train.(loader.Classified)
	in := make([]float32, 784)
	train.Input(2, in)
	if train.Label(2) != 2 || in[20] != 1 || in[0] != 0 {
		t.Errorf("sample 2: label %d, pixel 20 %v, pixel 0 %v", train.Label(2), in[20], in[0])
	}
	if _, err := FashionMNIST([]int{10}).Data(dir); err == nil {
		t.Error("a shape that does not hold 28x28 images: no error")
	}
}

// With no folder given, Data looks in Debian's package folder, then in the
// download cache, and says how to fill either in one line.
func TestFindFashionMNIST(t *testing.T) {
	good, empty := testutil.IDXFolder(t, 1, 1), t.TempDir()
	missing := filepath.Join(empty, "nothing")
	if dir, err := findFashionMNIST([]string{missing, empty, good}); err != nil || dir != good {
		t.Errorf("found %q, %v; want %s", dir, err, good)
	}
	_, err := findFashionMNIST([]string{missing, empty})
	if err == nil {
		t.Fatal("no data: no error")
	}
	msg := err.Error()
	for _, want := range []string{missing, empty, "`apt-get install dataset-fashion-mnist`", "`gozoo download fashion-mnist`", "-data DIR"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not name %s", msg, want)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error %q is more than one line", msg)
	}
	// The second folder is the one `gozoo download fashion-mnist` fills.
	cache, err := download.DefaultCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	dirs := fashionMNISTDirs()
	if want := []string{"/usr/share/datasets/fashion-mnist", filepath.Join(cache, download.FashionMNISTDir)}; !reflect.DeepEqual(dirs, want) {
		t.Errorf("looks in %v, want %v", dirs, want)
	}
	if _, err := os.Stat(dirs[0]); err == nil {
		if dir, err := FashionMNISTDir(); err != nil || dir != dirs[0] {
			t.Errorf("Debian's package is installed, but FashionMNISTDir gives %q, %v", dir, err)
		}
	}
}
