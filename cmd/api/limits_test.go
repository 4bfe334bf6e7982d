package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The server serve builds bounds every phase of a connection, so that a
// slow or stalled client cannot hold one (and its goroutine) open, and
// bounds the headers below net/http's default of 1 MiB.
func TestHTTPServerBoundsEveryPhaseOfAConnection(t *testing.T) {
	srv := newHTTPServer(http.NotFoundHandler(), slog.New(slog.DiscardHandler))
	for name, d := range map[string]time.Duration{
		"ReadHeaderTimeout": srv.ReadHeaderTimeout,
		"ReadTimeout":       srv.ReadTimeout,
		"WriteTimeout":      srv.WriteTimeout,
		"IdleTimeout":       srv.IdleTimeout,
	} {
		if d <= 0 || d > 5*time.Minute {
			t.Errorf("%s is %v, want set, and at most a few minutes", name, d)
		}
	}
	if srv.ReadHeaderTimeout > srv.ReadTimeout {
		t.Errorf("ReadHeaderTimeout %v is longer than ReadTimeout %v", srv.ReadHeaderTimeout, srv.ReadTimeout)
	}
	if srv.MaxHeaderBytes <= 0 || srv.MaxHeaderBytes >= http.DefaultMaxHeaderBytes {
		t.Errorf("MaxHeaderBytes is %d, want set below net/http's default of %d", srv.MaxHeaderBytes, http.DefaultMaxHeaderBytes)
	}
	if srv.MaxHeaderBytes < 16<<10 {
		t.Errorf("MaxHeaderBytes is %d: too little for a browser's cookies (4 KiB each)", srv.MaxHeaderBytes)
	}
}

// Through the real server: headers past the limit get 431 from net/http,
// a body past it the 413 envelope, and a cookie of 8 KiB, under the limit
// but no session key, an empty session.
func TestServeRefusesOversizedHeadersAndBodies(t *testing.T) {
	base := liveServer(t, nil)

	t.Run("an 8 KiB cookie is an empty session", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, base+"/api/auth/session", nil)
		req.Header.Set("Cookie", "sessionid="+strings.Repeat("a", 8<<10))
		res := do(t, req)
		if body := readAll(t, res); res.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != `{"authenticated":false}` {
			t.Fatalf("%d %s, want 200 and an anonymous session", res.StatusCode, body)
		}
	})

	for _, header := range []string{"Cookie", "X-Session-Key", "X-Padding"} {
		t.Run("a 100 KiB "+header+" header is 431", func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, base+"/api/auth/session", nil)
			value := strings.Repeat("a", 100<<10)
			if header == "Cookie" {
				value = "sessionid=" + value
			}
			req.Header.Set(header, value)
			if res := do(t, req); res.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
				t.Fatalf("%d, want 431", res.StatusCode)
			}
		})
	}

	for _, streamed := range []bool{false, true} {
		name := "a 2 MiB body with its length is the 413 envelope"
		if streamed {
			name = "a 2 MiB body streamed is the 413 envelope"
		}
		t.Run(name, func(t *testing.T) {
			var body io.Reader = strings.NewReader(`{"theme":"` + strings.Repeat("a", 2<<20) + `"}`)
			if streamed {
				body = io.MultiReader(body) // of unknown length: sent chunked
			}
			req, _ := http.NewRequest(http.MethodPut, base+"/api/session/preferences", body)
			req.Header.Set("Content-Type", "application/json")
			res := do(t, req)
			var env struct {
				Error struct{ Code string } `json:"error"`
			}
			if err := json.NewDecoder(res.Body).Decode(&env); err != nil || res.StatusCode != http.StatusRequestEntityTooLarge || env.Error.Code != "body_too_large" {
				t.Fatalf("%d, code %q (%v), want 413 body_too_large", res.StatusCode, env.Error.Code, err)
			}
		})
	}
}
