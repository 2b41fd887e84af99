package viz

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// dpi is the PNG resolution: vgimg's default, so an 8x4 inch figure is
// 768x384 pixels.
const dpi = vgimg.DefaultDPI

// parseFormat accepts "png" and "svg" in any case, with or without the dot
// that filepath.Ext leaves on.
func parseFormat(format string) (string, error) {
	f := strings.ToLower(strings.TrimPrefix(format, "."))
	switch f {
	case "png", "svg":
		return f, nil
	}
	return "", fmt.Errorf("%w %q (want png or svg)", ErrFormat, format)
}

// formatOfPath picks the format from a file name's extension.
func formatOfPath(path string) (string, error) {
	ext := filepath.Ext(path)
	if ext == "" {
		return "", fmt.Errorf("%w: %q has no extension (want .png or .svg)", ErrFormat, path)
	}
	f, err := parseFormat(ext)
	if err != nil {
		return "", fmt.Errorf("%w %q in %q (want .png or .svg)", ErrFormat, ext, path)
	}
	return f, nil
}

// writeFile renders into memory first so that a failed plot leaves no
// half-written file behind.
func writeFile(path string, plotTo func(w io.Writer, format string) error) error {
	format, err := formatOfPath(path)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := plotTo(&buf, format); err != nil {
		return err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("viz: writing %s: %w", path, err)
	}
	return nil
}

// render draws a width x height figure with paint and writes it to w.
// gonum/plot reports some impossible states by panicking; the recover keeps
// that from crossing this package's API.
func render(w io.Writer, format string, width, height vg.Length, paint func(dc draw.Canvas)) (err error) {
	f, err := parseFormat(format)
	if err != nil {
		return err
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("viz: drawing %s failed: %v", f, r)
		}
	}()
	var c vg.CanvasWriterTo
	if f == "png" {
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(dpi))}
	} else {
		c = vgsvg.New(width, height)
	}
	// A thin margin keeps titles and legends off the image edge.
	m := vg.Inch / 10
	paint(draw.Crop(draw.New(c), m, -m, m, -m))
	if _, err := c.WriteTo(w); err != nil {
		return fmt.Errorf("viz: writing %s: %w", f, err)
	}
	return nil
}

// newPlot returns a plot whose text is all in the sans-serif face, which
// reads better than gonum's serif default at small sizes.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.Title.TextStyle.Font.Variant = "Sans"
	p.X.Label.TextStyle.Font.Variant = "Sans"
	p.Y.Label.TextStyle.Font.Variant = "Sans"
	p.X.Tick.Label.Font.Variant = "Sans"
	p.Y.Tick.Label.Font.Variant = "Sans"
	p.Legend.TextStyle.Font.Variant = "Sans"
	return p
}
