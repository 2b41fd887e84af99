package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gozoo/gozoo/serve"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", stderr)
	modelPath := fs.String("model", "", "model file to serve, under its name without the extension (run/model.safetensors serves \"model\")")
	modelDir := fs.String("models", "", "folder whose every *.safetensors file is served, each under its name without the extension")
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on (0.0.0.0:8080 for every interface)")
	maxBatch := fs.Int("max-batch", serve.DefaultMaxBatch, "most samples one model run takes: concurrent requests are batched up to it; 1 turns batching off")
	maxDelay := fs.Duration("max-delay", serve.DefaultMaxDelay, "longest a batch waits for more requests (only while others are on their way)")
	maxBody := fs.String("max-body", "8MiB", "largest request body (B, KiB, MiB, GiB, kB, MB or GB); larger ones get 413")
	timeout := fs.Duration("timeout", serve.DefaultTimeout, "bound on each request: reading it (a slow client gets 408) and waiting for the model (503)")
	logLevel := fs.String("log-level", "info", "request log level on stderr (JSON lines): debug, info, warn or error")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	switch {
	case *modelPath == "" && *modelDir == "":
		return fmt.Errorf("-model FILE or -models DIR is required")
	case *modelPath != "" && *modelDir != "":
		return fmt.Errorf("give -model FILE or -models DIR, not both")
	case *maxBatch < 1 || *maxBatch > 1<<16:
		return fmt.Errorf("-max-batch must be between 1 and 65536, got %d", *maxBatch)
	case *maxDelay <= 0:
		return fmt.Errorf("-max-delay must be positive, got %v (-max-batch 1 turns batching off)", *maxDelay)
	case *timeout <= 0:
		return fmt.Errorf("-timeout must be positive, got %v", *timeout)
	}
	bodyLimit, err := parseSize(*maxBody)
	if err != nil {
		return fmt.Errorf("-max-body: %v", err)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("-log-level must be debug, info, warn or error, got %q", *logLevel)
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	s, err := serve.New(serve.Options{MaxBatch: *maxBatch, MaxDelay: *maxDelay, MaxBody: bodyLimit, Timeout: *timeout, Logger: logger})
	if err != nil {
		return err
	}
	defer s.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: *timeout,
		ReadTimeout:       *timeout,
		WriteTimeout:      *timeout + 5*time.Second, // the handler answers by then
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	// Listening before the models load lets health checks see the server
	// live but not ready meanwhile.
	go func() { served <- srv.Serve(ln) }()
	if *modelPath != "" {
		err = s.LoadFiles(*modelPath)
	} else {
		err = s.LoadDir(*modelDir)
	}
	if err != nil {
		srv.Close()
		return err
	}
	logger.Info("serving", "addr", ln.Addr().String(), "models", s.Models(),
		"max_batch", *maxBatch, "max_delay", maxDelay.String(), "max_body", bodyLimit, "timeout", timeout.String())
	select {
	case <-ctx.Done():
	case err := <-served:
		return err
	}
	// SIGTERM or SIGINT: not ready, stop accepting, answer the requests in
	// flight, then exit 0.
	logger.Info("draining")
	s.Drain()
	shutdown, cancel := context.WithTimeout(context.Background(), *timeout+5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		srv.Close()
		return fmt.Errorf("requests still in flight after %v: %w", *timeout+5*time.Second, err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("stopped")
	return nil
}

// parseSize reads a byte count with an optional unit: 8MiB, 512KiB, 1GB,
// 100000.
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		scale  int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"kB", 1e3}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	num, scale := s, int64(1)
	for _, u := range units {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			num, scale = n, u.scale
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if err != nil || n <= 0 || n > (1<<40)/scale {
		return 0, fmt.Errorf("want a positive size such as 8MiB (at most 1TiB), got %q", s)
	}
	return n * scale, nil
}
