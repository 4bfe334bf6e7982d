// Package metrics counts what the API does, for Prometheus to scrape at
// GET /metrics: requests by route, method and status, with their latency;
// the session store's operations by engine and result; and refused logins.
//
// Everything is registered on a registry passed in, never on client_golang's
// global default, so that each server, and each test, counts on its own.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/djsessions/api/internal/apperr"
)

// Metrics holds the API's metrics.
type Metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	store    *prometheus.CounterVec
	logins   *prometheus.CounterVec
}

// New registers the API's metrics on registry. It panics if they are
// registered there already, as prometheus.MustRegister does: one registry
// serves one Metrics.
func New(registry *prometheus.Registry) *Metrics {
	m := &Metrics{
		registry: registry,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total",
			Help: "HTTP requests answered, by route pattern (unmatched for a path the API does not have), method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "http_request_duration_seconds",
			Help:    "Time from a request's arrival to its answer, by route pattern and method.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method"}),
		store: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "session_store_operations_total",
			Help: "Operations on the session store, by engine, operation and result: " +
				"hit or miss for a load; ok, conflict, not_found or aborted (the change refused itself) for the others; " +
				"error when the store failed.",
		}, []string{"engine", "operation", "result"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "auth_login_failures_total",
			Help: "Logins refused, by the code the client got: invalid_credentials, or too_many_attempts from the throttle.",
		}, []string{"reason"}),
	}
	registry.MustRegister(m.requests, m.latency, m.store, m.logins)
	// Both reasons are shown from the start, at zero, so that a rate over
	// them is defined before the first failure.
	for _, code := range []apperr.Code{apperr.InvalidCredentials, apperr.TooManyAttempts} {
		m.logins.WithLabelValues(string(code))
	}
	return m
}

// Handler serves every metric of the registry in Prometheus' text exposition
// format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// LoginFailed counts a refused login; code is what the client was told,
// invalid_credentials or too_many_attempts.
func (m *Metrics) LoginFailed(code apperr.Code) {
	m.logins.WithLabelValues(string(code)).Inc()
}
