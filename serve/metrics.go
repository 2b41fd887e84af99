package serve

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// instruments are the server's Prometheus collectors. Every name starts with
// gozoo_serve_. The model label is empty for requests that name no served
// model, so that clients cannot grow the label set.
type instruments struct {
	requests      *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	decode        *prometheus.HistogramVec
	queue         *prometheus.HistogramVec
	model         *prometheus.HistogramVec
	batchRows     *prometheus.HistogramVec
	batchRequests *prometheus.HistogramVec
	inflight      prometheus.Gauge
}

// modelMetrics are the collectors of one model, resolved once.
type modelMetrics struct {
	decode, queue, model, batchRows, batchRequests prometheus.Observer
}

// secondsBuckets span 50 microseconds to about 13 seconds.
var secondsBuckets = prometheus.ExponentialBuckets(50e-6, 2, 19)

func newInstruments(reg prometheus.Registerer, runtime bool) (*instruments, error) {
	m := &instruments{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gozoo_serve_requests_total",
			Help: "Requests answered, by model (empty when none was named or it is not served), route and HTTP status code.",
		}, []string{"model", "route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gozoo_serve_request_duration_seconds",
			Help:    "Time from the request's arrival to its answer, by model and route.",
			Buckets: secondsBuckets,
		}, []string{"model", "route"}),
		decode: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gozoo_serve_decode_duration_seconds",
			Help:    "Time to read and decode a request body into model input (JSON or image), by model.",
			Buckets: secondsBuckets,
		}, []string{"model"}),
		queue: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gozoo_serve_queue_duration_seconds",
			Help:    "Time an inference request waited for its batch to start running, by model.",
			Buckets: secondsBuckets,
		}, []string{"model"}),
		model: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gozoo_serve_model_duration_seconds",
			Help:    "Time one batch spent in the model, by model.",
			Buckets: secondsBuckets,
		}, []string{"model"}),
		batchRows: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gozoo_serve_batch_size",
			Help:    "Rows (samples) per model run, by model.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 11),
		}, []string{"model"}),
		batchRequests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gozoo_serve_batch_requests",
			Help:    "Requests coalesced into one model run, by model.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 11),
		}, []string{"model"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gozoo_serve_inflight_requests",
			Help: "Requests being served now.",
		}),
	}
	cs := []prometheus.Collector{m.requests, m.latency, m.decode, m.queue, m.model, m.batchRows, m.batchRequests, m.inflight}
	if runtime {
		cs = append(cs, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("serve: registering metrics: %w", err)
		}
	}
	return m, nil
}

func (m *instruments) forModel(name string) *modelMetrics {
	return &modelMetrics{
		decode:        m.decode.WithLabelValues(name),
		queue:         m.queue.WithLabelValues(name),
		model:         m.model.WithLabelValues(name),
		batchRows:     m.batchRows.WithLabelValues(name),
		batchRequests: m.batchRequests.WithLabelValues(name),
	}
}
