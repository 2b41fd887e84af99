package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/zoo"
)

// modelFileName is the file a command writes into its -out folder.
const modelFileName = "model.safetensors"

// saveInto writes m with its card to dir/model.safetensors, creating dir,
// and says so on stderr.
func saveInto(dir string, m zoo.Model, card *modelcard.Card, stderr io.Writer) (string, error) {
	return writeInto(dir, stderr, func(path string) error { return zoo.Save(path, m, card) })
}

// writeInto creates dir and has write produce dir/model.safetensors.
func writeInto(dir string, stderr io.Writer, write func(path string) error) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, modelFileName)
	if err := write(path); err != nil {
		return "", err
	}
	fmt.Fprintf(stderr, "model written to %s\n", path)
	return path, nil
}
