package server_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/djsessions/api/internal/apitest"
	"github.com/djsessions/api/internal/auth"
	"github.com/djsessions/api/internal/testdb"
)

func TestMetrics(t *testing.T) {
	t.Parallel()
	app := apitest.New(t, apitest.Options{
		DatabaseURL:    testdb.SQLiteURL(t),
		AllowedOrigins: []string{spaOrigin},
		Throttle:       &auth.ThrottleLimits{PerUser: 2, PerAddr: 100, Window: time.Hour},
	})
	c := app.Browser()
	c.Post("/api/session/visit", nil).Want(t, http.StatusOK)
	c.Get("/api/session").Want(t, http.StatusOK)
	c.Get("/api/session").Want(t, http.StatusOK)
	c.Delete("/api/auth/sessions/abc123").Want(t, http.StatusUnauthorized)
	c.Get("/no/such/path").Want(t, http.StatusNotFound)
	c.Do("BREW", "/api/session", nil).Want(t, http.StatusMethodNotAllowed)
	c.Post("/api/auth/register", map[string]string{"username": "ann", "password": "quartz-lantern-meadow"}).Want(t, http.StatusCreated)
	for range 2 {
		c.Post("/api/auth/login", map[string]string{"username": "ann", "password": "wrong"}).Want(t, http.StatusUnauthorized)
	}
	c.Post("/api/auth/login", map[string]string{"username": "ann", "password": "wrong"}).Want(t, http.StatusTooManyRequests)
	forged := app.Browser()
	forged.Post("/api/session/visit", nil).Want(t, http.StatusOK)
	forged.Header.Set("Sec-Fetch-Site", "cross-site")
	forged.Header.Set("Origin", evilOrigin)
	forged.Post("/api/session/visit", nil).Want(t, http.StatusForbidden)

	res := app.Browser().Get("/metrics").Want(t, http.StatusOK)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("Content-Type %q, want Prometheus' text format", ct)
	}
	if res.Header.Values("Set-Cookie") != nil || strings.Contains(strings.Join(res.Header.Values("Vary"), ","), "Cookie") {
		t.Fatalf("/metrics went through the session middleware: %v", res.Header)
	}
	families := parseMetrics(t, res.Body)

	t.Run("requests by route pattern, method and status", func(t *testing.T) {
		for _, want := range []struct {
			labels map[string]string
			value  float64
		}{
			{map[string]string{"route": "/api/session/visit", "method": "POST", "status": "200"}, 2},
			{map[string]string{"route": "/api/session", "method": "GET", "status": "200"}, 2},
			{map[string]string{"route": "/api/auth/sessions/:id", "method": "DELETE", "status": "401"}, 1},
			{map[string]string{"route": "unmatched", "method": "GET", "status": "404"}, 1},
			{map[string]string{"route": "/api/session", "method": "other", "status": "405"}, 1},
			{map[string]string{"route": "/api/auth/login", "method": "POST", "status": "401"}, 2},
			{map[string]string{"route": "/api/auth/login", "method": "POST", "status": "429"}, 1},
			{map[string]string{"route": "/api/session/visit", "method": "POST", "status": "403"}, 1},
		} {
			if got := counter(families, "http_requests_total", want.labels); got != want.value {
				t.Errorf("http_requests_total%v = %v, want %v", want.labels, got, want.value)
			}
		}
		for _, m := range families["http_requests_total"].GetMetric() {
			for _, l := range m.GetLabel() {
				if strings.Contains(l.GetValue(), "abc123") || strings.Contains(l.GetValue(), "/no/such") || l.GetValue() == "BREW" {
					t.Errorf("a label holds what the client sent: %s=%q", l.GetName(), l.GetValue())
				}
			}
		}
	})

	t.Run("a latency histogram by route and method", func(t *testing.T) {
		h := metric(families, "http_request_duration_seconds", map[string]string{"route": "/api/session", "method": "GET"}).GetHistogram()
		if h.GetSampleCount() != 2 || len(h.GetBucket()) == 0 {
			t.Fatalf("histogram of GET /api/session: %d samples in %d buckets, want 2 samples", h.GetSampleCount(), len(h.GetBucket()))
		}
	})

	t.Run("refused logins, by reason", func(t *testing.T) {
		if got := counter(families, "auth_login_failures_total", map[string]string{"reason": "invalid_credentials"}); got != 2 {
			t.Errorf("invalid_credentials: %v, want 2", got)
		}
		if got := counter(families, "auth_login_failures_total", map[string]string{"reason": "too_many_attempts"}); got != 1 {
			t.Errorf("too_many_attempts: %v, want 1", got)
		}
	})
}

// parseMetrics parses Prometheus' text exposition format.
func parseMetrics(t *testing.T, body []byte) map[string]*dto.MetricFamily {
	t.Helper()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics is not Prometheus' text format: %v\n%s", err, body)
	}
	return families
}

// metric returns the series of the family name with exactly labels, or nil.
func metric(families map[string]*dto.MetricFamily, name string, labels map[string]string) *dto.Metric {
	for _, m := range families[name].GetMetric() {
		if len(m.GetLabel()) != len(labels) {
			continue
		}
		match := true
		for _, l := range m.GetLabel() {
			match = match && labels[l.GetName()] == l.GetValue()
		}
		if match {
			return m
		}
	}
	return nil
}

// counter returns the value of a counter series, 0 if there is none.
func counter(families map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	return metric(families, name, labels).GetCounter().GetValue()
}
