// Command gozoo trains, evaluates and inspects gozoo models.
//
//	gozoo train [-model mlp|mlp-paddle|mlp-mindspore] [-epochs 10] [-batch 64] ...
//	gozoo eval -model FILE [-data DIR] [-json]
//	gozoo bench [-model mlp|lenet5|cifar-vgg] [-steps 200] [-json]
//	gozoo export -model FILE -o model.onnx
//	gozoo import -onnx model.onnx -o model.safetensors [-dataset NAME] [-mean LIST -std LIST] [-classes LIST]
//
// Run "gozoo help" for every command. Errors print one line on standard
// error and exit with status 1.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/gozoo/gozoo/backend"
)

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"train", "train a model (the seed MLP on MNIST by default)", runTrain},
		{"eval", "evaluate a saved model on its test data", runEval},
		{"predict", "classify PNG or JPEG images with a saved image model", runPredict},
		{"summary", "print a model's layers, output shapes and parameter counts", runSummary},
		{"prune", "prune a model's smallest weights to a sparsity, fine-tuning the rest", runPrune},
		{"distill", "train a small student model from a teacher's softened outputs", runDistill},
		{"quantize", "write a model with int8 weights (per-channel, symmetric) at a quarter of the size", runQuantize},
		{"bench", "measure training and inference speed and single-image latency of a preset", runBench},
		{"plot", "draw a training history (history.json) as a PNG or SVG figure", runPlot},
		{"download", "fetch CIFAR-10 or Fashion-MNIST into a cache folder, checking SHA-256", runDownload},
		{"export", "write a model file as ONNX, for ONNX Runtime, OpenCV and other runtimes", runExport},
		{"import", "turn an ONNX graph of layers (a PyTorch nn.Sequential, a torchvision ResNet) into a model file", runImport},
		{"serve", "serve models over HTTP: the Open Inference Protocol v2 (KServe, Triton)", runServe},
	}
}

// exitError carries a specific exit status (130 for an interrupted run).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func main() {
	// GOZOO_BLAS picks the BLAS for the whole process, so it is set once,
	// before any graph exists (docs/backends.md).
	if err := backend.Use(os.Getenv("GOZOO_BLAS")); err != nil {
		fmt.Fprintf(os.Stderr, "gozoo: GOZOO_BLAS=%q: %v\n", os.Getenv("GOZOO_BLAS"), err)
		os.Exit(1)
	}
	// A dataset is one large live value (MNIST's pixels are 55 MB), and
	// Go's default GOGC=100 lets the heap grow to twice what is live
	// before collecting. 50 cuts the peak by about 30 MB for the same
	// speed (docs/benchmarks.md); GOGC, if set, still decides.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(50)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stderr)
		if len(args) == 0 {
			return 1
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		}
		fmt.Fprintf(stderr, "gozoo %s: %v\n", c.name, err)
		var ee *exitError
		if errors.As(err, &ee) {
			return ee.code
		}
		return 1
	}
	fmt.Fprintf(stderr, "gozoo: unknown command %q (run gozoo help)\n", args[0])
	return 1
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: gozoo COMMAND [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nrun gozoo COMMAND -h for a command's flags")
}

// newFlagSet returns a flag set that reports parse errors as one line (the
// caller prints it) and prints the usage only for -h.
func newFlagSet(name string, stderr io.Writer) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &flagSet{FlagSet: fs}
}

// flagSet is a flag.FlagSet that can tell which flags were given.
type flagSet struct{ *flag.FlagSet }

func (fs *flagSet) isSet(name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// ifSet calls apply when the user gave the flag name.
func (fs *flagSet) ifSet(name string, apply func()) {
	if fs.isSet(name) {
		apply()
	}
}

// parseFlags parses args; -h prints the flags to stderr and returns
// flag.ErrHelp.
func parseFlags(fs *flagSet, args []string, stderr io.Writer) error {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stderr)
		fmt.Fprintf(stderr, "usage of gozoo %s:\n", fs.Name())
		fs.PrintDefaults()
		return err
	}
	if err != nil {
		return fmt.Errorf("%v (run gozoo %s -h)", err, fs.Name())
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (run gozoo %s -h)", fs.Arg(0), fs.Name())
	}
	return nil
}

// printResult writes v to w as one JSON object (-json), or as its text.
func printResult(w io.Writer, asJSON bool, v fmt.Stringer) error {
	if asJSON {
		return json.NewEncoder(w).Encode(v)
	}
	_, err := io.WriteString(w, v.String())
	return err
}
