package main

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPlotHistory(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, history string
		// A history with accuracy draws loss and accuracy side by side.
		wide bool
	}{
		{"classifier", `{"epochs":[
			{"epoch":1,"train_loss":0.9,"train_accuracy":0.7,"val_loss":0.5,"val_accuracy":0.85,"val_samples":100,"learning_rate":0.001,"steps":10,"seconds":1,"samples_per_sec":100},
			{"epoch":2,"train_loss":0.4,"train_accuracy":0.88,"val_loss":0.35,"val_accuracy":0.9,"val_samples":100,"learning_rate":0.001,"steps":20,"seconds":1,"samples_per_sec":100},
			{"epoch":3,"train_loss":0.3,"train_accuracy":0.91,"val_loss":0.33,"val_accuracy":0.91,"val_samples":100,"learning_rate":0.001,"steps":30,"seconds":1,"samples_per_sec":100}]}`, true},
		{"regression without validation", `{"epochs":[{"epoch":1,"train_loss":2.5},{"epoch":2,"train_loss":1.5}]}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			history := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".json")
			if err := os.WriteFile(history, []byte(tc.history), 0o644); err != nil {
				t.Fatal(err)
			}
			out := strings.TrimSuffix(history, ".json") + ".png"
			if _, stderr, code := runGozoo(t, "plot", history, "-o", out); code != 0 {
				t.Fatalf("status %d: %s", code, stderr)
			}
			f, err := os.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			img, err := png.Decode(f)
			if err != nil {
				t.Fatalf("%s: %v", out, err)
			}
			b := img.Bounds()
			if wide := b.Dx() > b.Dy()*3/2; wide != tc.wide || b.Dy() < 100 {
				t.Errorf("figure is %dx%d; want wide=%v", b.Dx(), b.Dy(), tc.wide)
			}
			svg := strings.TrimSuffix(out, ".png") + ".svg"
			if _, stderr, code := runGozoo(t, "plot", "-o", svg, history); code != 0 {
				t.Fatalf("svg: status %d: %s", code, stderr)
			}
			if data, err := os.ReadFile(svg); err != nil || !strings.Contains(string(data), "<svg") {
				t.Errorf("%s is not an SVG (%v)", svg, err)
			}
		})
	}
}

func TestPlotErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	good := write("good.json", `{"epochs":[{"epoch":1,"train_loss":1}]}`)
	malformed := write("malformed.json", `{"epochs":[{"epoch":1,`)
	empty := write("empty.json", `{"epochs":[]}`)
	wrongType := write("wrong.json", `{"epochs":{"epoch":1}}`)
	out := filepath.Join(dir, "out.png")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no -o", []string{"plot", good}, "-o OUT.png or OUT.svg is required"},
		{"no history", []string{"plot", "-o", out}, "no history file given"},
		{"two histories", []string{"plot", good, good, "-o", out}, "plot takes one history file"},
		{"missing history", []string{"plot", "/nonexistent/history.json", "-o", out}, "/nonexistent/history.json"},
		{"malformed json", []string{"plot", malformed, "-o", out}, malformed + ": not a training history"},
		{"wrong shape", []string{"plot", wrongType, "-o", out}, wrongType + ": not a training history"},
		{"empty history", []string{"plot", empty, "-o", out}, empty + ": history has no epochs"},
		{"bad extension", []string{"plot", good, "-o", filepath.Join(dir, "out.jpg")}, "want .png or .svg"},
		{"unwritable output", []string{"plot", good, "-o", "/nonexistent/dir/out.png"}, "/nonexistent/dir/out.png"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkOneLineError(t, tc.args, tc.want) })
	}
}
