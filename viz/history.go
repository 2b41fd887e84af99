package viz

import (
	"cmp"
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Epoch is one epoch of a training history, as History plots it.
type Epoch struct {
	// Epoch numbers the epoch on the x axis; 1 for the first is usual.
	Epoch int
	// TrainLoss and ValLoss are the mean losses on the training and
	// validation data.
	TrainLoss, ValLoss float64
	// TrainAccuracy and ValAccuracy are fractions in [0, 1].
	TrainAccuracy, ValAccuracy float64
	// HasVal says ValLoss, and ValAccuracy when HasAccuracy, hold values.
	HasVal bool
	// HasAccuracy says TrainAccuracy, and ValAccuracy when HasVal, hold
	// values.
	HasAccuracy bool
}

// Figure sizes: one panel, or loss and accuracy side by side.
const (
	panelWidth    = 5 * vg.Inch
	twoWidth      = 8 * vg.Inch
	historyHeight = 4 * vg.Inch
	// glyphLimit is the number of epochs up to which each point is marked;
	// beyond it the markers would merge into a thick line.
	glyphLimit = 40
)

// History plots loss per epoch and, when any epoch has accuracy, accuracy
// per epoch beside it, each with a training and a validation curve, and
// writes the figure to w as format, "png" or "svg". Epochs are plotted in
// order of their Epoch field; NaN and infinite values are left out. Values
// whose span (largest minus smallest) is beyond float64, such as -1e308 and
// 1e308, are an error (ErrRange): gonum/plot cannot place ticks on such an
// axis, and used to spin forever trying.
func History(epochs []Epoch, w io.Writer, format string) error {
	if _, err := parseFormat(format); err != nil {
		return err
	}
	if len(epochs) == 0 {
		return fmt.Errorf("%w: history of no epochs", ErrEmpty)
	}
	sorted := slices.Clone(epochs)
	// cmp.Compare, not a.Epoch - b.Epoch, which overflows for far-apart
	// epoch numbers.
	slices.SortStableFunc(sorted, func(a, b Epoch) int { return cmp.Compare(a.Epoch, b.Epoch) })

	loss, err := historyPanel(sorted, "Loss",
		func(e Epoch) (float64, bool) { return e.TrainLoss, true },
		func(e Epoch) (float64, bool) { return e.ValLoss, e.HasVal })
	if err != nil {
		return err
	}
	loss.Legend.Top = true // loss falls, leaving the top right empty

	hasAccuracy := slices.ContainsFunc(sorted, func(e Epoch) bool { return e.HasAccuracy })
	if !hasAccuracy {
		return render(w, format, panelWidth, historyHeight, func(dc draw.Canvas) { loss.Draw(dc) })
	}
	acc, err := historyPanel(sorted, "Accuracy",
		func(e Epoch) (float64, bool) { return e.TrainAccuracy, e.HasAccuracy },
		func(e Epoch) (float64, bool) { return e.ValAccuracy, e.HasAccuracy && e.HasVal })
	if err != nil {
		return err
	}
	// Accuracy rises, leaving the bottom right empty: the default place.
	return render(w, format, twoWidth, historyHeight, func(dc draw.Canvas) {
		tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Inch / 4}
		canvases := plot.Align([][]*plot.Plot{{loss, acc}}, tiles, dc)
		loss.Draw(canvases[0][0])
		acc.Draw(canvases[0][1])
	})
}

// HistoryFile writes History's figure to path, in the format its extension
// names: .png or .svg.
func HistoryFile(epochs []Epoch, path string) error {
	return writeFile(path, func(w io.Writer, format string) error {
		return History(epochs, w, format)
	})
}

// historyPanel plots one quantity against the epoch; train and val pick the
// value of each curve from an epoch and say whether it has one.
func historyPanel(epochs []Epoch, quantity string, train, val func(Epoch) (float64, bool)) (*plot.Plot, error) {
	trainXYs, valXYs := points(epochs, train), points(epochs, val)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, xy := range append(slices.Clone(trainXYs), valXYs...) {
		lo, hi = math.Min(lo, xy.Y), math.Max(hi, xy.Y)
	}
	if hi-lo > math.MaxFloat64 { // +Inf: only finite values are here
		return nil, fmt.Errorf("%w: %s values run from %g to %g, a span beyond float64",
			ErrRange, strings.ToLower(quantity), lo, hi)
	}

	p := newPlot(quantity, "Epoch", quantity)
	p.X.Tick.Marker = integerTicks{}
	// An axis covering every epoch, even where no value is finite. Epoch
	// numbers are ints, so their span is at most 2^64: finite.
	p.X.Min, p.X.Max = widen(float64(epochs[0].Epoch), float64(epochs[len(epochs)-1].Epoch))
	marked := len(epochs) <= glyphLimit
	// Blue and vermilion from the Okabe-Ito palette, which colour-blind
	// readers tell apart; validation is dashed as well.
	trainColor := color.RGBA{R: 0x00, G: 0x72, B: 0xB2, A: 0xFF}
	valColor := color.RGBA{R: 0xD5, G: 0x5E, B: 0x00, A: 0xFF}
	addSeries(p, "train", trainXYs, trainColor, nil, marked)
	addSeries(p, "validation", valXYs, valColor, []vg.Length{vg.Points(5), vg.Points(3)}, marked)
	if lo <= hi {
		p.Y.Min, p.Y.Max = widen(lo, hi)
	}
	p.Add(plotter.NewGrid())
	return p, nil
}

// widen returns an axis range for values from lo to hi. A single value v
// gets v-1 to v+1, as gonum/plot would give it, or ±v/16 where v±1 rounds
// back to v (gonum/plot would then draw an empty range and panic).
func widen(lo, hi float64) (float64, float64) {
	if lo != hi {
		return lo, hi
	}
	pad := math.Max(1, math.Abs(lo)/16)
	return math.Max(lo-pad, -math.MaxFloat64), math.Min(hi+pad, math.MaxFloat64)
}

// points collects the finite values that pick finds.
func points(epochs []Epoch, pick func(Epoch) (float64, bool)) plotter.XYs {
	var xys plotter.XYs
	for _, e := range epochs {
		v, ok := pick(e)
		if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		xys = append(xys, plotter.XY{X: float64(e.Epoch), Y: v})
	}
	return xys
}

// addSeries adds a curve and its legend entry, or nothing when it has no
// points.
func addSeries(p *plot.Plot, name string, xys plotter.XYs, c color.Color, dashes []vg.Length, marked bool) {
	if len(xys) == 0 {
		return
	}
	line, err := plotter.NewLine(xys)
	if err != nil {
		// Unreachable: points drops every non-finite value first.
		return
	}
	line.Color = c
	line.Width = vg.Points(1.5)
	line.Dashes = dashes
	p.Add(line)
	if !marked {
		p.Legend.Add(name, line)
		return
	}
	dots, err := plotter.NewScatter(xys)
	if err != nil {
		return
	}
	dots.Color = c
	dots.Shape = draw.CircleGlyph{}
	dots.Radius = vg.Points(2)
	p.Add(dots)
	p.Legend.Add(name, line, dots)
}

// integerTicks keeps the default ticks that fall on whole epochs, so that a
// short run is not labelled 1.5, 2.5, ...
type integerTicks struct{}

func (integerTicks) Ticks(min, max float64) []plot.Tick {
	var ticks []plot.Tick
	for _, t := range (plot.DefaultTicks{}).Ticks(min, max) {
		if t.Value != math.Trunc(t.Value) {
			continue
		}
		if t.Label != "" {
			t.Label = strconv.FormatFloat(t.Value, 'f', -1, 64) // "2", not "2.0"
		}
		ticks = append(ticks, t)
	}
	return ticks
}
