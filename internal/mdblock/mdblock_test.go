package mdblock

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	doc := "# Title\n\ntext\n\n    curl a\n    curl b\n\n<!-- file: x.go -->\n```go\npackage main\n\n    indented inside\n```\n\n  - item\n  ```sh\n  ls\n  ```\n"
	path := filepath.Join(t.TempDir(), "doc.md")
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []Block{
		{Line: 5, Code: "curl a\ncurl b\n", Before: ""},
		{Line: 10, Fenced: true, Lang: "go", Code: "package main\n\n    indented inside\n", Before: "<!-- file: x.go -->"},
		{Line: 17, Fenced: true, Lang: "sh", Code: "  ls\n", Before: "  - item"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	if err := os.WriteFile(path, []byte("```go\npackage main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(path); err == nil || !strings.Contains(err.Error(), "doc.md:1: unterminated") {
		t.Fatalf("an unterminated fence gives %v", err)
	}
}
