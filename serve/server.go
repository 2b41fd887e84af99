package serve

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gozoo/gozoo/io/imagein"
	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/predict"
	"github.com/gozoo/gozoo/zoo"
)

// Defaults of Options.
const (
	DefaultMaxBatch = 32
	DefaultMaxDelay = 2 * time.Millisecond
	DefaultMaxBody  = 8 << 20
	DefaultTimeout  = 10 * time.Second
)

// ModelExt is the extension of the model files LoadDir serves.
const ModelExt = ".safetensors"

// Version is the only version of each model, as the protocol names it.
const Version = "1"

// Options tune a Server. The zero value means the defaults.
type Options struct {
	// MaxBatch is the most rows (samples) one model run takes: concurrent
	// requests to a model are coalesced up to it. 1 turns batching off.
	// Default DefaultMaxBatch.
	MaxBatch int
	// MaxDelay is the longest a batch waits for more requests after its
	// first. It only waits while other requests to the model are on their
	// way (being read or decoded), so a lone client never waits. Default
	// DefaultMaxDelay.
	MaxDelay time.Duration
	// MaxBody is the largest request body in bytes; larger ones get 413.
	// Default DefaultMaxBody.
	MaxBody int64
	// Timeout bounds each inference or classify request from its arrival:
	// reading the body (a slow client gets 408) and waiting for the model
	// (503). Default DefaultTimeout.
	Timeout time.Duration
	// Logger receives one record per request (Info; Error for a 5xx).
	// Nil: no request logs.
	Logger *slog.Logger
	// Registry is where the metrics are registered, and what /metrics
	// serves. Nil: a registry of the server's own, with the Go runtime
	// and process collectors.
	Registry *prometheus.Registry
}

// Server serves models over the Open Inference Protocol (KServe's V2
// protocol) on HTTP. It is an http.Handler; its methods are safe for
// concurrent use.
type Server struct {
	opts    Options
	log     *slog.Logger
	metrics *instruments
	expose  http.Handler // /metrics
	workers int

	mu       sync.RWMutex
	models   map[string]*model
	closed   bool
	draining atomic.Bool
}

// model is one served model. While it loads, p is nil.
type model struct {
	name    string
	p       *predict.Predictor
	card    *modelcard.Card
	b       *batcher
	m       *modelMetrics
	layout  *imagein.Layout // nil unless the model takes images
	table   bool            // inputs are raw table features, standardised by the card
	outputs []tensorMeta
	meta    modelMeta
}

// New returns a server with no models; add them with Add, Load, LoadFiles
// or LoadDir. It is not ready until it has a model.
func New(opts Options) (*Server, error) {
	switch {
	case opts.MaxBatch < 0 || opts.MaxBatch > 1<<16:
		return nil, fmt.Errorf("serve: max batch must be in 1..65536, got %d", opts.MaxBatch)
	case opts.MaxBatch == 0:
		opts.MaxBatch = DefaultMaxBatch
	}
	switch {
	case opts.MaxDelay < 0:
		return nil, fmt.Errorf("serve: max delay must not be negative, got %v", opts.MaxDelay)
	case opts.MaxDelay == 0:
		opts.MaxDelay = DefaultMaxDelay
	}
	switch {
	case opts.MaxBody < 0:
		return nil, fmt.Errorf("serve: max body must not be negative, got %d", opts.MaxBody)
	case opts.MaxBody == 0:
		opts.MaxBody = DefaultMaxBody
	}
	switch {
	case opts.Timeout < 0:
		return nil, fmt.Errorf("serve: timeout must not be negative, got %v", opts.Timeout)
	case opts.Timeout == 0:
		opts.Timeout = DefaultTimeout
	}
	s := &Server{opts: opts, log: opts.Logger, models: map[string]*model{}, workers: runtime.GOMAXPROCS(0)}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	reg, own := opts.Registry, opts.Registry == nil
	if own {
		reg = prometheus.NewRegistry()
	}
	var err error
	if s.metrics, err = newInstruments(reg, own); err != nil {
		return nil, err
	}
	s.expose = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return s, nil
}

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// ModelName is the name a model file is served under: its file name
// without the extension (run/model.safetensors serves "model").
func ModelName(path string) string {
	base := filepath.Base(path)
	return strings.TrimSuffix(base, filepath.Ext(base))
}

// Add serves p under name. The server owns p from now on: Close closes it.
func (s *Server) Add(name string, p *predict.Predictor) error {
	if p == nil {
		return fmt.Errorf("serve: model %q: nil predictor", name)
	}
	if err := s.reserve(name); err != nil {
		return err
	}
	s.install(name, p)
	return nil
}

// Load loads a model file written by zoo.Save or gozoo train and serves
// it under name. The model reports not ready while it loads.
func (s *Server) Load(name, path string) error {
	if err := s.reserve(name); err != nil {
		return err
	}
	p, err := s.open(path)
	if err != nil {
		s.release(name)
		return err
	}
	s.install(name, p)
	return nil
}

// LoadFiles loads model files, each served under ModelName of its path.
// Every name is reserved (and the server not ready) before the first file
// loads. On an error, naming the file, no model of the call is served.
func (s *Server) LoadFiles(paths ...string) error {
	var names []string
	release := func() {
		for _, n := range names {
			s.release(n)
		}
	}
	for _, path := range paths {
		name := ModelName(path)
		if err := s.reserve(name); err != nil {
			release()
			return fmt.Errorf("%w (from %s)", err, path)
		}
		names = append(names, name)
	}
	preds := make([]*predict.Predictor, len(paths))
	for i, path := range paths {
		p, err := s.open(path)
		if err != nil {
			for _, q := range preds[:i] {
				q.Close()
			}
			release()
			return err
		}
		preds[i] = p
	}
	for i, name := range names {
		s.install(name, preds[i])
	}
	return nil
}

// LoadDir loads every *.safetensors file in dir (not its subfolders).
func (s *Server) LoadDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var paths []string
	for _, e := range entries {
		if e.Type().IsRegular() && filepath.Ext(e.Name()) == ModelExt {
			paths = append(paths, filepath.Join(dir, e.Name()))
		}
	}
	if len(paths) == 0 {
		return fmt.Errorf("serve: %s holds no %s model files", dir, ModelExt)
	}
	return s.LoadFiles(paths...)
}

// open reads a model file into a predictor. Errors name the file.
func (s *Server) open(path string) (*predict.Predictor, error) {
	m, card, err := zoo.Load(path)
	if err != nil {
		if !strings.Contains(err.Error(), path) {
			err = fmt.Errorf("%s: %w", path, err)
		}
		return nil, err
	}
	if card == nil {
		return nil, fmt.Errorf("serve: %s has no model card, so how to feed it is unknown: save it with zoo.Save(path, model, card)", path)
	}
	p, err := predict.New(m, card, predict.Options{MaxBatch: s.opts.MaxBatch, Concurrency: s.workers})
	if err != nil {
		return nil, fmt.Errorf("serve: %s: %w", path, err)
	}
	return p, nil
}

// reserve registers name as loading.
func (s *Server) reserve(name string) error {
	if !validName.MatchString(name) {
		return fmt.Errorf("serve: model name %q must be 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit", name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("serve: server is closed")
	}
	if _, ok := s.models[name]; ok {
		return fmt.Errorf("serve: a model named %q is already served", name)
	}
	s.models[name] = &model{name: name}
	return nil
}

func (s *Server) release(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.models[name]; ok && m.p == nil {
		delete(s.models, name)
	}
}

// install replaces the loading placeholder of name with the model of p.
func (s *Server) install(name string, p *predict.Predictor) {
	card := p.Card()
	m := &model{name: name, p: p, card: card, m: s.metrics.forModel(name), table: card.Standardizer != nil}
	if card.IsImage() && !card.Regression() {
		if l, err := card.ImageLayout(); err == nil {
			m.layout = &l
		}
	}
	m.outputs = outputsOf(card, p.OutputSize())
	m.meta = modelMeta{
		Name:     name,
		Versions: []string{Version},
		Platform: "gozoo",
		Inputs:   []tensorMeta{{Name: "input", Datatype: "FP32", Shape: append([]int{-1}, card.Shape...)}},
		Outputs:  m.outputs,
	}
	m.b = newBatcher(p, s.opts.MaxBatch, s.opts.MaxDelay, s.workers, m.m)
	s.mu.Lock()
	s.models[name] = m
	s.mu.Unlock()
}

// outputsOf lists a model's named outputs.
func outputsOf(card *modelcard.Card, n int) []tensorMeta {
	if card.Regression() {
		return []tensorMeta{
			{Name: "output", Datatype: "FP32", Shape: []int{-1, n}},
			{Name: "value", Datatype: "FP64", Shape: []int{-1, n}},
		}
	}
	return []tensorMeta{
		{Name: "logits", Datatype: "FP32", Shape: []int{-1, n}},
		{Name: "probabilities", Datatype: "FP64", Shape: []int{-1, n}},
		{Name: "class", Datatype: "INT64", Shape: []int{-1}},
		{Name: "class_name", Datatype: "BYTES", Shape: []int{-1}},
	}
}

// Models returns the names of the models served or loading, sorted.
func (s *Server) Models() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	names := make([]string, 0, len(s.models))
	for n := range s.models {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Ready reports whether the server is ready: it has models, all loaded,
// and it is not draining.
func (s *Server) Ready() bool {
	if s.draining.Load() {
		return false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed || len(s.models) == 0 {
		return false
	}
	for _, m := range s.models {
		if m.p == nil {
			return false
		}
	}
	return true
}

// Drain turns the server not ready, so that a load balancer stops sending
// it requests; it goes on answering those that still come. Call it on
// SIGTERM before http.Server.Shutdown.
func (s *Server) Drain() { s.draining.Store(true) }

// Close stops the batchers and closes the models' predictors. Call it once
// no request is in flight (after http.Server.Shutdown); later inference
// requests get 503.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	var errs []error
	for _, m := range s.models { // no longer written: closed
		if m.p == nil {
			continue
		}
		m.b.close()
		errs = append(errs, m.p.Close())
	}
	return errors.Join(errs...)
}

// lookup returns the named model (nil if none) and whether the server is
// closed.
func (s *Server) lookup(name string) (*model, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.models[name], s.closed
}
