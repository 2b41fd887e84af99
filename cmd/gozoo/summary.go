package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"

	"github.com/gozoo/gozoo/zoo"
)

func runSummary(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("summary", stderr)
	modelPath := fs.String("model", "", "model file to describe")
	arch := fs.String("arch", "", "architecture to describe, built as gozoo train builds it (seed 0): "+strings.Join(zoo.PresetNames(), ", "))
	asJSON := fs.Bool("json", false, "print the summary as one JSON object")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if (*modelPath == "") == (*arch == "") {
		return fmt.Errorf("give exactly one of -model FILE and -arch NAME")
	}
	var m zoo.Model
	var err error
	if *modelPath != "" {
		m, _, err = zoo.Load(*modelPath)
	} else {
		p, perr := zoo.PresetNamed(*arch)
		if perr != nil {
			return fmt.Errorf("unknown -arch %q (want %s)", *arch, strings.Join(zoo.PresetNames(), ", "))
		}
		m, err = p.Build(rand.New(rand.NewPCG(0, 0)))
	}
	if err != nil {
		return err
	}
	s, err := zoo.Summarize(m)
	if err != nil {
		return err
	}
	return printResult(stdout, *asJSON, s)
}
