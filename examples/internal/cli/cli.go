// Package cli holds the few lines every example binary shares: flags for
// epochs and seed, Ctrl-C handling, and a non-zero exit with a clear message.
package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
)

// Main parses -epochs and -seed, runs run with a context cancelled by
// Ctrl-C, and exits with status 1 and the error on failure.
func Main(name string, run func(ctx context.Context, epochs int, seed uint64) error) {
	epochs := flag.Int("epochs", 10, "epochs")
	seed := flag.Uint64("seed", 1, "seed for weights and shuffling")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, *epochs, *seed)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}
