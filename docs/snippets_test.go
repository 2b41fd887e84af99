// Package docs holds gozoo's documentation; its test builds every Go code
// block of README.md and docs/, so that a copy-paste recipe cannot rot.
package docs

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/internal/mdblock"
)

// block is one ```go block of a Markdown file.
type block struct {
	file string
	line int
	code string
	// same names a file the block must equal, given by a preceding
	// "<!-- file: PATH -->" line (PATH from the repository root).
	same string
}

var fileMarker = regexp.MustCompile(`^<!-- file: (\S+) -->$`)

func goBlocks(t *testing.T, path string) []block {
	t.Helper()
	all, err := mdblock.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []block
	for _, b := range all {
		if !b.Fenced || b.Lang != "go" {
			continue
		}
		g := block{file: path, line: b.Line, code: b.Code}
		if m := fileMarker.FindStringSubmatch(strings.TrimSpace(b.Before)); m != nil {
			g.same = m[1]
		}
		blocks = append(blocks, g)
	}
	return blocks
}

// TestGoBlocksBuild extracts every Go block of README.md and docs/ and
// builds it. Each must be a complete program; one marked with
// <!-- file: PATH --> must also equal that file (an example binary, whose
// own test runs it).
func TestGoBlocksBuild(t *testing.T) {
	files := []string{"../README.md"}
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".md") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	tmp, err := os.MkdirTemp("testdata", "snippets-")
	if os.IsNotExist(err) {
		if err = os.Mkdir("testdata", 0o755); err == nil {
			defer os.Remove("testdata")
			tmp, err = os.MkdirTemp("testdata", "snippets-")
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	var pkgs []string
	where := map[string]string{}
	for _, file := range files {
		for i, b := range goBlocks(t, file) {
			pos := fmt.Sprintf("%s:%d", b.file, b.line)
			if !regexp.MustCompile(`(?m)^package main$`).MatchString(b.code) {
				t.Errorf("%s: a Go block must be a complete program (package main, imports, func main)", pos)
				continue
			}
			if b.same != "" {
				want, err := os.ReadFile(filepath.Join("..", b.same))
				if err != nil {
					t.Errorf("%s: %v", pos, err)
				} else if string(want) != b.code {
					t.Errorf("%s: the block differs from %s; copy the file into the doc", pos, b.same)
				}
			}
			dir := filepath.Join(tmp, fmt.Sprintf("%s-%d", strings.NewReplacer("/", "_", ".", "_").Replace(file), i+1))
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(b.code), 0o644); err != nil {
				t.Fatal(err)
			}
			pkgs = append(pkgs, "./"+filepath.ToSlash(dir))
			where[filepath.ToSlash(dir)] = pos
		}
	}
	if len(pkgs) < 8 {
		t.Fatalf("found only %d Go blocks", len(pkgs))
	}
	out, err := exec.Command("go", append([]string{"vet"}, pkgs...)...).CombinedOutput()
	if err != nil {
		msg := string(out)
		for dir, pos := range where {
			msg = strings.ReplaceAll(msg, dir+"/main.go", pos+" (block line)")
		}
		t.Fatalf("Go blocks do not build:\n%s", msg)
	}
	t.Logf("built %d Go blocks", len(pkgs))
}
