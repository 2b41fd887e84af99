package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The CLI parses flags, calls the library and prints: graph-level code (nn)
// is the library's business. (It still links nn through the library, which
// trains the models; go list -deps shows that.)
func TestCLIDoesNotImportNN(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range strings.Fields(string(out)) {
		switch imp {
		case "github.com/gozoo/gozoo/nn", "gorgonia.org/gorgonia", "gorgonia.org/tensor":
			t.Errorf("cmd/gozoo imports %s", imp)
		}
	}
}
