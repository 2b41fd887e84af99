package viz

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Confusion-matrix figure layout.
const (
	cellSide   = vg.Inch * 55 / 100 // wanted side of one cell
	minHeat    = vg.Inch * 7 / 2    // smallest and largest side of the cell grid
	maxHeat    = 9 * vg.Inch
	barWidth   = vg.Inch * 11 / 10 // colour bar with its tick labels
	marginX    = vg.Inch * 13 / 10 // class names and the axis label on the left
	marginY    = vg.Inch * 6 / 5   // title above, class names and label below
	maxLabels  = 30                // more classes than this: label every k-th
	maxFontPts = 11                // largest cell-count font size, in points
	minFontPts = 5                 // below this, cell counts are left out
)

// Confusion draws a confusion matrix as a heatmap and writes it to w as
// format, "png" or "svg". matrix[i][j] counts the samples of true class i
// predicted as class j: rows run down the y axis from class 0 at the top,
// columns along the x axis. Each cell shows its count; a colour bar maps
// colours to counts. classNames label the axes; nil or empty means "0",
// "1", ... The matrix must be square, non-empty and hold no negative count.
func Confusion(matrix [][]int, classNames []string, w io.Writer, format string) error {
	if _, err := parseFormat(format); err != nil {
		return err
	}
	names, maxCount, err := checkConfusion(matrix, classNames)
	if err != nil {
		return err
	}
	n := len(matrix)

	// White for 0, darkening to navy at the largest count, with luminance
	// linear in the count (the scale of matplotlib's "Blues").
	light, err := moreland.NewLuminance([]color.Color{
		color.RGBA{R: 0x08, G: 0x30, B: 0x6B, A: 0xFF},
		color.RGBA{R: 0x42, G: 0x92, B: 0xC6, A: 0xFF},
		color.RGBA{R: 0xF7, G: 0xFB, B: 0xFF, A: 0xFF},
	})
	if err != nil {
		return fmt.Errorf("viz: confusion colour map: %w", err)
	}
	cmap := palette.Reverse(light)
	cmap.SetMin(0)
	cmap.SetMax(math.Max(float64(maxCount), 1)) // an all-zero matrix is all white
	fills := make([][]color.Color, n)
	for i, row := range matrix {
		fills[i] = make([]color.Color, n)
		for j, v := range row {
			if fills[i][j], err = cmap.At(float64(v)); err != nil {
				return fmt.Errorf("viz: colour of confusion cell [%d][%d] = %d: %w", i, j, v, err)
			}
		}
	}

	heat := newPlot(confusionTitle(matrix), "Predicted class", "True class")
	heat.X.Padding, heat.Y.Padding = 0, 0
	heat.X.Tick.Marker, heat.Y.Tick.Marker = classTicks(names)
	grid := &cells{counts: matrix, fills: fills, text: heat.X.Tick.Label}
	heat.Add(grid)

	side := min(max(cellSide*vg.Length(n), minHeat), maxHeat)
	// Names wider than a cell would run into each other: slant them.
	widest := vg.Length(0)
	for _, name := range names {
		widest = max(widest, heat.X.Tick.Label.Width(name))
	}
	extraY := vg.Length(0)
	if widest > side/vg.Length(n)*9/10 {
		heat.X.Tick.Label.Rotation = math.Pi / 4
		heat.X.Tick.Label.XAlign = draw.XRight
		heat.X.Tick.Label.YAlign = draw.YCenter
		extraY = min(widest, 2*vg.Inch) * 7 / 10
	}

	bar := newPlot("", "", "count")
	bar.HideX()
	bar.Y.Padding = 0
	bar.Y.Tick.Marker = integerTicks{}
	bar.Add(&plotter.ColorBar{ColorMap: cmap, Vertical: true})

	width, height := side+marginX+barWidth, side+marginY+extraY
	return render(w, format, width, height, func(dc draw.Canvas) {
		heatC := draw.Crop(dc, 0, -barWidth, 0, 0)
		barC := draw.Crop(dc, heatC.Max.X-dc.Min.X+vg.Inch/8, -vg.Inch/8, 0, 0)
		// Line the bar up with the cell grid, whatever the two plots'
		// titles and axes take.
		target := heat.DataCanvas(heatC)
		barC.Min.Y, barC.Max.Y = target.Min.Y, target.Max.Y
		got := bar.DataCanvas(barC)
		barC.Min.Y -= got.Min.Y - target.Min.Y
		barC.Max.Y += target.Max.Y - got.Max.Y
		heat.Draw(heatC)
		bar.Draw(barC)
	})
}

// ConfusionFile writes Confusion's figure to path, in the format its
// extension names: .png or .svg.
func ConfusionFile(matrix [][]int, classNames []string, path string) error {
	return writeFile(path, func(w io.Writer, format string) error {
		return Confusion(matrix, classNames, w, format)
	})
}

// checkConfusion validates the matrix and names, and returns the names to
// use and the largest count.
func checkConfusion(matrix [][]int, classNames []string) ([]string, int, error) {
	n := len(matrix)
	if n == 0 {
		return nil, 0, fmt.Errorf("%w: confusion matrix of no classes", ErrEmpty)
	}
	maxCount := 0
	for i, row := range matrix {
		if len(row) != n {
			return nil, 0, fmt.Errorf("%w: confusion matrix row %d has %d entries, want %d (one per row: the matrix must be square)", ErrShape, i, len(row), n)
		}
		for j, v := range row {
			if v < 0 {
				return nil, 0, fmt.Errorf("viz: confusion matrix cell [%d][%d] = %d, want a count >= 0", i, j, v)
			}
			maxCount = max(maxCount, v)
		}
	}
	if len(classNames) == 0 {
		names := make([]string, n)
		for i := range names {
			names[i] = strconv.Itoa(i)
		}
		return names, maxCount, nil
	}
	if len(classNames) != n {
		return nil, 0, fmt.Errorf("%w: %d class names for a %dx%d confusion matrix", ErrShape, len(classNames), n, n)
	}
	return classNames, maxCount, nil
}

// confusionTitle names the figure and states the accuracy it shows.
func confusionTitle(matrix [][]int) string {
	total, correct := 0, 0
	for i, row := range matrix {
		for j, v := range row {
			total += v
			if i == j {
				correct += v
			}
		}
	}
	if total == 0 {
		return "Confusion matrix: no samples"
	}
	return fmt.Sprintf("Confusion matrix: %d samples, accuracy %.2f%%", total, 100*float64(correct)/float64(total))
}

// classTicks labels column j at x = j and row i at y = n-1-i, so that row
// 0 is at the top; with many classes only every k-th is named.
func classTicks(names []string) (x, y plot.ConstantTicks) {
	n := len(names)
	step := (n + maxLabels - 1) / maxLabels
	for i, name := range names {
		label := name
		if i%step != 0 {
			label = ""
		}
		x = append(x, plot.Tick{Value: float64(i), Label: label})
		y = append(y, plot.Tick{Value: float64(n - 1 - i), Label: label})
	}
	return x, y
}

// cells draws the matrix, one filled square per entry with its count
// written on it in black or white, whichever stands out from the fill, and
// zeros in grey.
type cells struct {
	counts [][]int
	fills  [][]color.Color
	text   text.Style
}

func (c *cells) Plot(dc draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&dc)
	n := len(c.counts)
	sty := c.fontFor(trX(1)-trX(0), trY(1)-trY(0))
	for i, row := range c.counts {
		y := float64(n - 1 - i)
		for j, v := range row {
			x := float64(j)
			r := vg.Rectangle{
				Min: vg.Point{X: trX(x - 0.5), Y: trY(y - 0.5)},
				Max: vg.Point{X: trX(x + 0.5), Y: trY(y + 0.5)},
			}
			dc.SetColor(c.fills[i][j])
			dc.Fill(r.Path())
			if sty == nil {
				continue
			}
			s := *sty
			s.Color = contrasting(c.fills[i][j])
			if v == 0 {
				// Zeros recede, so that the errors stand out.
				s.Color = color.Gray{Y: 0x99}
			}
			dc.FillText(s, vg.Point{X: trX(x), Y: trY(y)}, strconv.Itoa(v))
		}
	}
}

// fontFor sizes the count text to fit a w x h cell, or returns nil when
// the cells are too small to hold readable text.
func (c *cells) fontFor(w, h vg.Length) *text.Style {
	widest := 0
	for _, row := range c.counts {
		for _, v := range row {
			widest = max(widest, v)
		}
	}
	sty := c.text
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YCenter
	sty.Font.Size = min(vg.Points(maxFontPts), h*4/10)
	if tw := sty.Width(strconv.Itoa(widest)); tw > w*85/100 {
		sty.Font.Size = sty.Font.Size * w * 85 / 100 / tw
	}
	if sty.Font.Size < vg.Points(minFontPts) {
		return nil
	}
	return &sty
}

func (c *cells) DataRange() (xmin, xmax, ymin, ymax float64) {
	n := float64(len(c.counts))
	return -0.5, n - 0.5, -0.5, n - 0.5
}

// contrasting returns black on light colours and white on dark ones, by
// the relative luminance of Rec. 709.
func contrasting(c color.Color) color.Color {
	r, g, b, _ := c.RGBA()
	lum := (0.2126*float64(r) + 0.7152*float64(g) + 0.0722*float64(b)) / 0xFFFF
	if lum > 0.45 {
		return color.Black
	}
	return color.White
}
