package recipes

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Progress reports training progress on a writer, usually standard error.
// On a terminal it draws a bar that redraws in place (epoch, step/total,
// running loss, samples/s and ETA); elsewhere it prints one plain line per
// epoch, so logs stay clean when piped.
type Progress struct {
	BaseCallback
	W        io.Writer
	Terminal bool
	// Width is the bar's width in characters; default 30.
	Width int
	// Every is the minimum time between redraws; default 100ms.
	Every time.Duration

	start    time.Time
	last     time.Time
	samples  int
	lastLine int
}

func (p *Progress) OnEpochBegin(_ *Run, _ int) error {
	p.start, p.last, p.samples = time.Now(), time.Time{}, 0
	return nil
}

func (p *Progress) OnBatchEnd(r *Run, s BatchStats) error {
	p.samples += s.Size
	if !p.Terminal {
		return nil
	}
	every := p.Every
	if every == 0 {
		every = 100 * time.Millisecond
	}
	now := time.Now()
	if s.Batch != s.Batches && now.Sub(p.last) < every {
		return nil
	}
	p.last = now
	p.draw(r, s, now)
	return nil
}

func (p *Progress) draw(r *Run, s BatchStats, now time.Time) {
	width := p.Width
	if width <= 0 {
		width = 30
	}
	done := width * s.Batch / s.Batches
	elapsed := now.Sub(p.start).Seconds()
	rate := float64(p.samples) / max(elapsed, 1e-9)
	eta := time.Duration(float64(s.Batches-s.Batch) * elapsed / float64(s.Batch) * float64(time.Second))
	line := fmt.Sprintf("epoch %d/%d [%s%s] %d/%d loss %.4f %.0f samples/s ETA %s",
		s.Epoch, r.Options.Epochs, strings.Repeat("=", done), strings.Repeat(" ", width-done),
		s.Batch, s.Batches, s.MeanLoss, rate, eta.Round(time.Second))
	pad := ""
	if n := p.lastLine - len(line); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	p.lastLine = len(line)
	fmt.Fprintf(p.W, "\r%s%s", line, pad)
}

func (p *Progress) OnEpochEnd(r *Run, s *EpochStats) error {
	if p.Terminal {
		fmt.Fprintln(p.W)
		p.lastLine = 0
	}
	line := fmt.Sprintf("epoch %d/%d: loss %.4f", s.Epoch, r.Options.Epochs, s.TrainLoss)
	if s.TrainAccuracy > 0 {
		line += fmt.Sprintf(" accuracy %.4f", s.TrainAccuracy)
	}
	if s.ValSamples > 0 {
		line += fmt.Sprintf(" | val loss %.4f", s.ValLoss)
		if s.ValAccuracy > 0 {
			line += fmt.Sprintf(" val accuracy %.4f", s.ValAccuracy)
		}
	}
	line += fmt.Sprintf(" | %.1fs, %.0f samples/s", s.Seconds, s.SamplesPerSec)
	_, err := fmt.Fprintln(p.W, line)
	return err
}
