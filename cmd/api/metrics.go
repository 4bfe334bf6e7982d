package main

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/djsessions/api/internal/metrics"
)

// newMetrics returns the API's metrics on a registry of their own, beside
// the Go runtime's and the process's, which are what one looks at first
// when a process misbehaves.
func newMetrics() *metrics.Metrics {
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return metrics.New(registry)
}
