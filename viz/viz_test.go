package viz

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite the example images in ../docs/img")

// Colours the tests look for, as History and Confusion define them.
var (
	trainBlue = color.RGBA{R: 0x00, G: 0x72, B: 0xB2, A: 0xFF}
	valOrange = color.RGBA{R: 0xD5, G: 0x5E, B: 0x00, A: 0xFF}
	cellNavy  = color.RGBA{R: 0x08, G: 0x30, B: 0x6B, A: 0xFF} // largest count
	cellWhite = color.RGBA{R: 0xF7, G: 0xFB, B: 0xFF, A: 0xFF} // zero
)

// near reports whether two colours differ by at most 3 in each 8-bit
// channel: the colour map's round trip through CIE Lab may move them a
// little.
func near(a, b color.Color) bool {
	ar, ag, ab, _ := a.RGBA()
	br, bg, bb, _ := b.RGBA()
	d := func(x, y uint32) bool { return max(x, y)-min(x, y) <= 3*0x101 }
	return d(ar, br) && d(ag, bg) && d(ab, bb)
}

// count returns how many pixels of img are near c.
func count(img image.Image, c color.Color) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if near(img.At(x, y), c) {
				n++
			}
		}
	}
	return n
}

// decode checks that data is a PNG of the wanted size that is not blank,
// and returns it.
func decode(t *testing.T, data []byte, width, height int) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decoding PNG: %v", err)
	}
	if got := img.Bounds().Size(); got != image.Pt(width, height) {
		t.Fatalf("image is %dx%d, want %dx%d", got.X, got.Y, width, height)
	}
	colours := map[color.Color]bool{}
	ink := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := img.At(x, y)
			colours[c] = true
			if r, g, bl, _ := c.RGBA(); r&g&bl != 0xFFFF {
				ink++
			}
		}
	}
	// Axes, text and one curve already give hundreds of pixels and dozens
	// of anti-aliased shades; a blank or failed drawing gives neither.
	if ink < 500 || len(colours) < 10 {
		t.Fatalf("image looks blank: %d non-white pixels, %d colours", ink, len(colours))
	}
	return img
}

// checkSVG checks that data is XML with an <svg> root.
func checkSVG(t *testing.T, data []byte) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	root := ""
	for {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("parsing SVG: %v", err)
		}
		if start, ok := tok.(xml.StartElement); ok {
			root = start.Name.Local
			break
		}
	}
	if root != "svg" {
		t.Fatalf("SVG root element is <%s>, want <svg>", root)
	}
	for { // the rest must parse too
		if _, err := dec.Token(); err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("parsing SVG: %v", err)
			}
			return
		}
	}
}

// checkError checks that err is an error that wraps want (any error when
// want is nil), starts with the package name and mentions mention.
func checkError(t *testing.T, err, want error, mention string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	if want != nil && !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
	if !strings.HasPrefix(err.Error(), "viz: ") || !strings.Contains(err.Error(), mention) {
		t.Errorf("error %q should start with \"viz: \" and mention %q", err, mention)
	}
}

// curves returns a synthetic history of n epochs: losses that fall and
// accuracies that rise, with validation a little worse than training.
func curves(n int, val, accuracy bool) []Epoch {
	epochs := make([]Epoch, n)
	for i := range epochs {
		x := float64(i + 1)
		epochs[i] = Epoch{
			Epoch:         i + 1,
			TrainLoss:     2*math.Exp(-x/3) + 0.05,
			ValLoss:       2*math.Exp(-x/3.5) + 0.1 + 0.01*x,
			TrainAccuracy: 1 - 0.9*math.Exp(-x/2.5),
			ValAccuracy:   0.97 - 0.9*math.Exp(-x/2.5),
			HasVal:        val,
			HasAccuracy:   accuracy,
		}
	}
	return epochs
}

func TestHistoryPNG(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	withGaps := curves(10, true, true)
	withGaps[3].TrainLoss = nan
	withGaps[4].ValLoss = inf
	withGaps[5].TrainAccuracy = math.Inf(-1)
	withGaps[6].ValAccuracy = nan
	allNaN := curves(3, true, true)
	for i := range allNaN {
		allNaN[i].TrainLoss, allNaN[i].ValLoss = nan, nan
		allNaN[i].TrainAccuracy, allNaN[i].ValAccuracy = nan, nan
	}
	shuffled := curves(6, true, false)
	shuffled[0], shuffled[5] = shuffled[5], shuffled[0]
	huge := curves(3, true, false)
	huge[1].TrainLoss, huge[2].ValLoss = 1e300, -1e300
	partialVal := curves(8, false, true)
	partialVal[3].HasVal = true // validation on one epoch only

	tests := []struct {
		name   string
		epochs []Epoch
		width  int // 8 inches at 96 DPI with the accuracy panel, else 5
		// Whether each curve colour appears: a skipped series must not.
		train, val bool
	}{
		{name: "train loss only", epochs: curves(10, false, false), width: 480, train: true},
		{name: "train and validation loss", epochs: curves(10, true, false), width: 480, train: true, val: true},
		{name: "loss and accuracy", epochs: curves(10, true, true), width: 768, train: true, val: true},
		{name: "single epoch", epochs: curves(1, true, true), width: 768, train: true, val: true},
		{name: "many epochs unmarked", epochs: curves(200, true, true), width: 768, train: true, val: true},
		{name: "NaN and Inf skipped", epochs: withGaps, width: 768, train: true, val: true},
		{name: "all NaN plots empty panels", epochs: allNaN, width: 768},
		{name: "epochs out of order", epochs: shuffled, width: 480, train: true, val: true},
		{name: "huge finite values", epochs: huge, width: 480, train: true, val: true},
		{name: "validation on one epoch", epochs: partialVal, width: 768, train: true, val: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := History(tt.epochs, &buf, "png"); err != nil {
				t.Fatalf("History: %v", err)
			}
			img := decode(t, buf.Bytes(), tt.width, 384)
			if got := count(img, trainBlue) > 0; got != tt.train {
				t.Errorf("train curve drawn = %v, want %v", got, tt.train)
			}
			if got := count(img, valOrange) > 0; got != tt.val {
				t.Errorf("validation curve drawn = %v, want %v", got, tt.val)
			}
		})
	}
}

// TestHistoryPanels checks that with accuracy both halves of the figure
// hold curves, and that the accuracy panel tracks the accuracy values.
func TestHistoryPanels(t *testing.T) {
	epochs := curves(10, false, true)
	var buf bytes.Buffer
	if err := History(epochs, &buf, "png"); err != nil {
		t.Fatal(err)
	}
	img := decode(t, buf.Bytes(), 768, 384)
	left := img.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(image.Rect(0, 0, 384, 384))
	right := img.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(image.Rect(384, 0, 768, 384))
	if count(left, trainBlue) == 0 || count(right, trainBlue) == 0 {
		t.Fatalf("train curve pixels: %d in the loss panel, %d in the accuracy panel; want both > 0",
			count(left, trainBlue), count(right, trainBlue))
	}
}

func TestHistorySVG(t *testing.T) {
	for _, format := range []string{"svg", "SVG", ".svg"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := History(curves(5, true, true), &buf, format); err != nil {
				t.Fatal(err)
			}
			checkSVG(t, buf.Bytes())
		})
	}
}

func TestHistoryErrors(t *testing.T) {
	tests := []struct {
		name    string
		epochs  []Epoch
		format  string
		want    error
		mention string
	}{
		{name: "nil history", epochs: nil, format: "png", want: ErrEmpty},
		{name: "empty history", epochs: []Epoch{}, format: "svg", want: ErrEmpty},
		{name: "pdf", epochs: curves(2, false, false), format: "pdf", want: ErrFormat, mention: `"pdf"`},
		{name: "no format", epochs: curves(2, false, false), format: "", want: ErrFormat, mention: `""`},
		{name: "bad format wins over empty", epochs: nil, format: "jpeg", want: ErrFormat, mention: `"jpeg"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			checkError(t, History(tt.epochs, &buf, tt.format), tt.want, tt.mention)
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes on error", buf.Len())
			}
		})
	}
}

// TestFiles covers HistoryFile and ConfusionFile: the extension picks the
// format, and a bad extension or input leaves no file behind.
func TestFiles(t *testing.T) {
	dir := t.TempDir()
	history := func(path string) error { return HistoryFile(curves(4, true, true), path) }
	confusion := func(path string) error { return ConfusionFile([][]int{{3, 1}, {0, 4}}, []string{"cat", "dog"}, path) }
	tests := []struct {
		name    string
		write   func(path string) error
		file    string
		want    error // nil: success
		mention string
	}{
		{name: "history png", write: history, file: "curves.png"},
		{name: "history svg", write: history, file: "curves.svg"},
		{name: "history upper-case extension", write: history, file: "CURVES.PNG"},
		{name: "confusion png", write: confusion, file: "cm.png"},
		{name: "confusion svg", write: confusion, file: "cm.svg"},
		{name: "history jpg", write: history, file: "curves.jpg", want: ErrFormat, mention: ".jpg"},
		{name: "confusion no extension", write: confusion, file: "cm", want: ErrFormat, mention: "cm"},
		{name: "empty history", write: func(p string) error { return HistoryFile(nil, p) }, file: "empty.png", want: ErrEmpty},
		{name: "ragged matrix", write: func(p string) error { return ConfusionFile([][]int{{1}, {1, 2}}, nil, p) }, file: "ragged.svg", want: ErrShape},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.file)
			err := tt.write(path)
			data, readErr := os.ReadFile(path)
			if tt.want != nil {
				checkError(t, err, tt.want, tt.mention)
				if readErr == nil {
					t.Errorf("a failed call left %s behind", tt.file)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if readErr != nil {
				t.Fatal(readErr)
			}
			if strings.EqualFold(filepath.Ext(path), ".svg") {
				checkSVG(t, data)
			} else if _, err := png.Decode(bytes.NewReader(data)); err != nil {
				t.Fatalf("%s is not a PNG: %v", tt.file, err)
			}
		})
	}
	t.Run("unwritable path", func(t *testing.T) {
		path := filepath.Join(dir, "missing", "curves.png")
		if err := HistoryFile(curves(2, false, false), path); err == nil || !strings.Contains(err.Error(), path) {
			t.Fatalf("error = %v, want one naming %s", err, path)
		}
	})
}

// barSpace is the colour bar's strip at the right of a confusion figure,
// 1.1 inches and the 0.1 inch margin at 96 DPI, which also holds the
// largest-count colour.
const barSpace = 115

// grid returns the part of a confusion figure left of the colour bar.
func grid(img image.Image) image.Image {
	b := img.Bounds()
	b.Max.X -= barSpace
	return img.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(b)
}

// gridCells finds the cell grid of a confusion PNG as the bounding box of
// its largest-count (navy) pixels, so the matrix must have navy cells in
// two opposite corners, and returns the colour near the top-left corner of
// cell [row][col] of an n x n grid, away from the count written at its
// centre.
func gridCells(t *testing.T, img image.Image, n int) func(row, col int) color.Color {
	t.Helper()
	img = grid(img)
	b := img.Bounds()
	box := image.Rectangle{Min: b.Max, Max: b.Min}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if near(img.At(x, y), cellNavy) {
				box = box.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	if box.Empty() {
		t.Fatal("no cell has the colour of the largest count")
	}
	w, h := box.Dx()/n, box.Dy()/n
	return func(row, col int) color.Color {
		return img.At(box.Min.X+col*w+w/8, box.Min.Y+row*h+h/8)
	}
}

func TestConfusionPNG(t *testing.T) {
	tests := []struct {
		name          string
		matrix        [][]int
		names         []string
		width, height int
		// Wanted colour of each cell: navy for the largest count, white
		// for zero, nil for anything in between.
		cells [][]color.Color
	}{
		{
			// Rows are truth from the top, columns prediction from the left:
			// the 2 of true class 1 predicted as 0 is at the bottom left.
			name:   "orientation",
			matrix: [][]int{{4, 0}, {2, 4}},
			width:  566, height: 451, // (3.5+1.3+1.1) x (3.5+1.2) inches at 96 DPI
			cells: [][]color.Color{{cellNavy, cellWhite}, {nil, cellNavy}},
		},
		{
			name:   "diagonal with names",
			matrix: [][]int{{7, 0, 0}, {0, 7, 0}, {0, 0, 7}},
			names:  []string{"a", "b", "c"},
			width:  566, height: 451,
			cells: [][]color.Color{
				{cellNavy, cellWhite, cellWhite},
				{cellWhite, cellNavy, cellWhite},
				{cellWhite, cellWhite, cellNavy},
			},
		},
		{
			name:   "anti-diagonal",
			matrix: [][]int{{0, 9}, {9, 0}},
			width:  566, height: 451,
			cells: [][]color.Color{{cellWhite, cellNavy}, {cellNavy, cellWhite}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Confusion(tt.matrix, tt.names, &buf, "png"); err != nil {
				t.Fatalf("Confusion: %v", err)
			}
			img := decode(t, buf.Bytes(), tt.width, tt.height)
			at := gridCells(t, img, len(tt.matrix))
			for i, row := range tt.cells {
				for j, want := range row {
					got := at(i, j)
					switch {
					case want != nil && !near(got, want):
						t.Errorf("cell [%d][%d] (count %d) is %v, want %v", i, j, tt.matrix[i][j], got, want)
					case want == nil && (near(got, cellNavy) || near(got, cellWhite)):
						t.Errorf("cell [%d][%d] (count %d) is %v, want a colour between the extremes", i, j, tt.matrix[i][j], got)
					}
				}
			}
		})
	}
}

// TestConfusionAllZero checks the degenerate colour scale: nothing is
// drawn in the largest-count colour.
func TestConfusionAllZero(t *testing.T) {
	var buf bytes.Buffer
	if err := Confusion([][]int{{0, 0}, {0, 0}}, nil, &buf, "png"); err != nil {
		t.Fatal(err)
	}
	img := grid(decode(t, buf.Bytes(), 566, 451))
	if n := count(img, cellNavy); n != 0 {
		t.Errorf("%d pixels in the largest-count colour, want 0", n)
	}
	if n := count(img, cellWhite); n < 100*100 {
		t.Errorf("%d pixels in the zero colour, want the whole grid (> 10000)", n)
	}
}

// TestConfusionLayouts checks that large and awkwardly named matrices
// draw, and that the figure grows with the number of classes.
func TestConfusionLayouts(t *testing.T) {
	square := func(n int) [][]int {
		m := make([][]int, n)
		for i := range m {
			m[i] = make([]int, n)
			m[i][i] = 100 + i
			m[i][(i+1)%n] = i % 4
		}
		return m
	}
	tests := []struct {
		name          string
		matrix        [][]int
		names         []string
		width, height int
		slanted       bool // taller than height, by the slanted names
	}{
		{name: "one class", matrix: [][]int{{12}}, width: 566, height: 451},
		{name: "ten classes", matrix: square(10), width: 758, height: 643},    // cells 0.55 in
		{name: "forty classes", matrix: square(40), width: 1094, height: 979}, // grid capped at 9 in
		{name: "short names upright", matrix: square(3), names: []string{"cat", "dog", "owl"}, width: 566, height: 451},
		{
			name:   "long names slanted",
			matrix: square(8),
			names:  []string{"T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Ankle boot"},
			width:  653, height: 538, slanted: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Confusion(tt.matrix, tt.names, &buf, "png"); err != nil {
				t.Fatalf("Confusion: %v", err)
			}
			height := tt.height
			if tt.slanted {
				cfg, err := png.DecodeConfig(bytes.NewReader(buf.Bytes()))
				if err != nil {
					t.Fatal(err)
				}
				if cfg.Height <= tt.height {
					t.Fatalf("height %d, want more than %d for slanted names", cfg.Height, tt.height)
				}
				height = cfg.Height
			}
			decode(t, buf.Bytes(), tt.width, height)
		})
	}
}

func TestConfusionSVG(t *testing.T) {
	var buf bytes.Buffer
	if err := Confusion([][]int{{5, 1}, {2, 6}}, []string{"no", "yes"}, &buf, "svg"); err != nil {
		t.Fatal(err)
	}
	checkSVG(t, buf.Bytes())
	if !strings.Contains(buf.String(), "yes") {
		t.Error("SVG does not contain the class name \"yes\"")
	}
}

func TestConfusionErrors(t *testing.T) {
	tests := []struct {
		name    string
		matrix  [][]int
		names   []string
		format  string
		want    error // nil: an unnamed error
		mention string
	}{
		{name: "nil", matrix: nil, format: "png", want: ErrEmpty},
		{name: "no rows", matrix: [][]int{}, format: "png", want: ErrEmpty},
		{name: "empty row", matrix: [][]int{{}}, format: "png", want: ErrShape, mention: "row 0 has 0 entries, want 1"},
		{name: "ragged", matrix: [][]int{{1, 2}, {3}}, format: "png", want: ErrShape, mention: "row 1 has 1 entries, want 2"},
		{name: "wide", matrix: [][]int{{1, 2, 3}, {4, 5, 6}}, format: "png", want: ErrShape, mention: "row 0 has 3 entries, want 2"},
		{name: "tall", matrix: [][]int{{1}, {2}}, format: "png", want: ErrShape, mention: "row 0 has 1 entries, want 2"},
		{name: "too few names", matrix: [][]int{{1, 0}, {0, 1}}, names: []string{"a"}, format: "png", want: ErrShape, mention: "1 class names for a 2x2"},
		{name: "too many names", matrix: [][]int{{1}}, names: []string{"a", "b"}, format: "svg", want: ErrShape, mention: "2 class names for a 1x1"},
		{name: "negative count", matrix: [][]int{{1, 0}, {-3, 1}}, format: "png", mention: "cell [1][0] = -3"},
		{name: "bad format", matrix: [][]int{{1}}, format: "gif", want: ErrFormat, mention: `"gif"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			checkError(t, Confusion(tt.matrix, tt.names, &buf, tt.format), tt.want, tt.mention)
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes on error", buf.Len())
			}
		})
	}
}

// TestDocsImages rewrites the two images in docs/plots.md from synthetic
// data when run with -update-docs.
func TestDocsImages(t *testing.T) {
	if !*updateDocs {
		t.Skip("run with -update-docs to rewrite ../docs/img")
	}
	// Fifteen epochs in which validation loss bottoms out and turns up,
	// with a deterministic wiggle standing in for noise.
	epochs := curves(15, true, true)
	for i := range epochs {
		x := float64(i + 1)
		epochs[i].ValLoss += 0.015*math.Sin(2.3*x) + 0.012*x
		epochs[i].ValAccuracy += 0.006 * math.Sin(1.7*x)
	}
	if err := HistoryFile(epochs, filepath.Join("..", "docs", "img", "history.png")); err != nil {
		t.Fatal(err)
	}
	// A three-class problem where the two similar classes get confused.
	matrix := [][]int{{48, 2, 0}, {1, 43, 6}, {0, 4, 46}}
	names := []string{"setosa", "versicolor", "virginica"}
	if err := ConfusionFile(matrix, names, filepath.Join("..", "docs", "img", "confusion.png")); err != nil {
		t.Fatal(err)
	}
}
