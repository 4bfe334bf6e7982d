package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/djsessions/api/internal/testdb"
)

// startServe runs serve with the environment vars until the test ends and
// returns its base URL.
func startServe(t *testing.T, vars map[string]string) string {
	t.Helper()
	t.Chdir(t.TempDir())
	cfg, err := loadConfig(env(vars))
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	addrs := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, slog.New(slog.DiscardHandler), func(a net.Addr) { addrs <- a }) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	select {
	case a := <-addrs:
		return "http://" + a.String()
	case err := <-done:
		t.Fatalf("serve returned before listening: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start listening")
	}
	return ""
}

// The wiring of serve: the configured origins get CORS and are trusted,
// HSTS follows SESSION_COOKIE_SECURE, and /metrics counts the session
// store's operations under the engine's name, beside the Go runtime's.
func TestServeWiresBrowsersAndMetrics(t *testing.T) {
	base := startServe(t, map[string]string{
		"DATABASE_URL": testdb.PostgresURL(t), "SECRET_KEY": "k", "LISTEN_ADDR": "127.0.0.1:0",
		"CORS_ALLOWED_ORIGINS": "https://spa.example.com", "SESSION_COOKIE_SECURE": "true",
	})

	req, _ := http.NewRequest(http.MethodPost, base+"/api/session/visit", nil)
	req.Header.Set("Origin", "https://spa.example.com")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Cookie", "sessionid="+strings.Repeat("a", 32)) // a key never issued: a miss, then a new session
	res := do(t, req)
	if res.StatusCode != http.StatusOK || res.Header.Get("Access-Control-Allow-Origin") != "https://spa.example.com" ||
		res.Header.Get("Strict-Transport-Security") == "" || res.Header.Get("X-Request-ID") == "" {
		t.Fatalf("listed origin: %d, headers %v", res.StatusCode, res.Header)
	}

	req, _ = http.NewRequest(http.MethodPost, base+"/api/session/visit", nil)
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Cookie", "sessionid="+strings.Repeat("a", 32))
	if res := do(t, req); res.StatusCode != http.StatusForbidden {
		t.Fatalf("another origin: %d, want 403", res.StatusCode)
	}

	req, _ = http.NewRequest(http.MethodGet, base+"/metrics", nil)
	body := string(readAll(t, do(t, req)))
	for _, want := range []string{
		`session_store_operations_total{engine="db",operation="load",result="miss"} 1`,
		`session_store_operations_total{engine="db",operation="create",result="ok"} 1`,
		`http_requests_total{method="POST",route="/api/session/visit",status="403"} 1`,
		`auth_login_failures_total{reason="invalid_credentials"} 0`,
		"go_goroutines ",
		"process_cpu_seconds_total ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics has no line %q", want)
		}
	}
}

func do(t *testing.T, req *http.Request) *http.Response {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

func readAll(t *testing.T, res *http.Response) []byte {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
