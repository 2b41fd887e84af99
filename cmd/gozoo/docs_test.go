package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestDocsErrorMessages runs every "$ gozoo ..." example of
// docs/training.md whose next line is gozoo's output, in an empty folder,
// and checks that gozoo prints exactly that line on stderr.
func TestDocsErrorMessages(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on MNIST")
	}
	f, err := os.Open("../../docs/training.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines = append(lines, strings.TrimSpace(sc.Text()))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for i := 0; i+1 < len(lines); i++ {
		cmdline, ok := strings.CutPrefix(lines[i], "$ gozoo ")
		want := lines[i+1]
		if !ok || !strings.HasPrefix(want, "gozoo ") {
			continue
		}
		checked++
		t.Run(cmdline, func(t *testing.T) {
			cmd := exec.Command(gozooBinary(t), strings.Fields(cmdline)...)
			cmd.Dir = t.TempDir()
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			_ = cmd.Run() // the examples fail on purpose
			got := strings.TrimSpace(stderr.String())
			if got != want {
				t.Errorf("gozoo %s printed\n\t%s\ndocs/training.md says\n\t%s", cmdline, got, want)
			}
		})
	}
	if checked < 2 {
		t.Fatalf("found %d examples in docs/training.md, want at least 2", checked)
	}
}
