// Package mdblock reads the code blocks of a Markdown file, for the tests
// that build and run the examples of README.md and docs/.
package mdblock

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

// A Block is one code block: fenced (```lang ... ```) or indented by four
// spaces outside a fence.
type Block struct {
	Line   int    // of its first line of code, counting from 1
	Fenced bool   // fenced rather than indented
	Lang   string // a fenced block's info string ("go"); empty for an indented one
	Code   string // its lines, each ending in a newline, without the fence or the indent
	Before string // the line before the block (a fence's opening line's predecessor)
}

// Read returns the code blocks of the Markdown file at path. An
// unterminated fence is an error.
func Read(path string) ([]Block, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var blocks []Block
	var cur *Block
	prev := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		code, indented := strings.CutPrefix(line, "    ")
		switch {
		case cur != nil && cur.Fenced && trimmed == "```":
			blocks, cur = append(blocks, *cur), nil
		case cur != nil && cur.Fenced:
			cur.Code += line + "\n"
		case strings.HasPrefix(trimmed, "```"):
			if cur != nil {
				blocks = append(blocks, *cur)
			}
			cur = &Block{Line: n + 1, Fenced: true, Lang: strings.TrimPrefix(trimmed, "```"), Before: prev}
		case indented && cur != nil:
			cur.Code += code + "\n"
		case indented:
			cur = &Block{Line: n, Code: code + "\n", Before: prev}
		case cur != nil:
			blocks, cur = append(blocks, *cur), nil
		}
		prev = line
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if cur != nil && cur.Fenced {
		return nil, fmt.Errorf("%s:%d: unterminated code block", path, cur.Line-1)
	}
	if cur != nil {
		blocks = append(blocks, *cur)
	}
	return blocks, nil
}
