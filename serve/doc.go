// Package serve provides a model server: gozoo models over the Open
// Inference Protocol (KServe's V2 inference protocol, also Triton's) on
// HTTP, as an http.Handler that a Go service mounts in its own mux.
//
// Concurrent requests to one model are coalesced into batched runs of the
// model (Options.MaxBatch, MaxDelay); a batched answer is bit for bit the
// one the request gets alone. Image models also answer PNG and JPEG
// uploads on a classify route, preprocessed exactly as gozoo predict does.
// Prometheus metrics are served at /metrics.
//
//	s, err := serve.New(serve.Options{Logger: slog.Default()})
//	err = s.LoadFiles("run/model.safetensors") // served as "model"
//	mux.Handle("/v2/", s)
//	mux.Handle("/metrics", s)
//
// The routes, the request and answer shapes and the metrics are listed in
// docs/serving.md.
package serve
