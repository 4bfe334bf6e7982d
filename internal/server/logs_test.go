package server_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/djsessions/api/internal/apitest"
	"github.com/djsessions/api/internal/testdb"
)

// logBuffer collects what the API under test logs, as JSON lines, for a
// test to read while the server writes.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// lines returns the log lines whose msg is msg.
func (l *logBuffer) lines(t *testing.T, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, raw := range strings.Split(strings.TrimSpace(l.String()), "\n") {
		var line map[string]any
		if err := json.Unmarshal([]byte(raw), &line); err != nil {
			t.Fatalf("a log line is not JSON: %q", raw)
		}
		if line["msg"] == msg {
			out = append(out, line)
		}
	}
	return out
}

// newLoggedApp starts the API with every log line, debug included, going
// to the returned buffer, as the JSON that cmd/api writes.
func newLoggedApp(t *testing.T, opts apitest.Options) (*apitest.App, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	opts.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return apitest.New(t, opts), logs
}

var generatedID = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestRequestID(t *testing.T) {
	t.Parallel()
	app, logs := newLoggedApp(t, apitest.Options{DatabaseURL: testdb.SQLiteURL(t)})

	t.Run("an id the client sends is echoed and logged with its request", func(t *testing.T) {
		c := app.Browser()
		c.Header.Set("X-Request-ID", "3f2a9c1e-7b4d-4e8a-9f00-1c2d3e4f5a6b")
		res := c.Get("/api/session").Want(t, http.StatusOK)
		if got := res.Header.Get("X-Request-ID"); got != "3f2a9c1e-7b4d-4e8a-9f00-1c2d3e4f5a6b" {
			t.Fatalf("X-Request-ID %q, want the one sent", got)
		}
		line := requestLine(t, logs, "3f2a9c1e-7b4d-4e8a-9f00-1c2d3e4f5a6b")
		if line["method"] != "GET" || line["path"] != "/api/session" || line["route"] != "/api/session" ||
			line["status"] != float64(200) || line["bytes"] == float64(0) || line["duration"] == nil {
			t.Fatalf("request log line %v", line)
		}
	})

	t.Run("the log line has the route pattern beside the path", func(t *testing.T) {
		c := app.Browser()
		c.Header.Set("X-Request-ID", "revoke-1")
		c.Delete("/api/auth/sessions/abc").Want(t, http.StatusUnauthorized)
		line := requestLine(t, logs, "revoke-1")
		if line["route"] != "/api/auth/sessions/:id" || line["path"] != "/api/auth/sessions/abc" || line["status"] != float64(401) {
			t.Fatalf("request log line %v", line)
		}
	})

	t.Run("a request without one gets a new one each time", func(t *testing.T) {
		c := app.Browser()
		first := c.Get("/healthz").Want(t, http.StatusOK).Header.Get("X-Request-ID")
		second := c.Get("/healthz").Want(t, http.StatusOK).Header.Get("X-Request-ID")
		if !generatedID.MatchString(first) || !generatedID.MatchString(second) || first == second {
			t.Fatalf("X-Request-ID %q then %q, want two different generated ids", first, second)
		}
		requestLine(t, logs, first)
	})

	for name, sent := range map[string]string{
		"too long":               strings.Repeat("a", 129),
		"with a space":           "two words",
		"with a quote":           `id"x`,
		"with a semicolon":       "a;b",
		"with non-ASCII letters": "idé",
	} {
		t.Run("an unusable one is replaced: "+name, func(t *testing.T) {
			c := app.Browser()
			c.Header.Set("X-Request-ID", sent)
			got := c.Get("/healthz").Want(t, http.StatusOK).Header.Get("X-Request-ID")
			if !generatedID.MatchString(got) {
				t.Fatalf("X-Request-ID %q, want a generated id in place of %q", got, sent)
			}
		})
	}

	t.Run("errors carry one too, and their log lines name it", func(t *testing.T) {
		c := app.Browser()
		c.Header.Set("X-Request-ID", "not-found-1")
		res := c.Get("/nope")
		res.WantError(t, http.StatusNotFound, "not_found")
		if res.Header.Get("X-Request-ID") != "not-found-1" {
			t.Fatalf("X-Request-ID %q on a 404", res.Header.Get("X-Request-ID"))
		}
		if line := requestLine(t, logs, "not-found-1"); line["status"] != float64(404) {
			t.Fatalf("request log line %v", line)
		}
	})
}

func TestRequestIDOfAFailureIsInItsErrorLine(t *testing.T) {
	t.Parallel()
	app, logs := newLoggedApp(t, apitest.Options{DatabaseURL: testdb.SQLiteURL(t)})
	c := app.Browser()
	c.Post("/api/session/visit", nil).Want(t, http.StatusOK)
	app.StopSessionStore(t)
	c.Header.Set("X-Request-ID", "store-down-1")
	c.Get("/api/session").WantError(t, http.StatusServiceUnavailable, "unavailable")

	failed := logs.lines(t, "request failed")
	if len(failed) != 1 || failed[0]["request_id"] != "store-down-1" {
		t.Fatalf(`"request failed" lines %v, want one with the request's id`, failed)
	}
}

// Whatever a request carries, its credentials never reach the log: not the
// session key (cookie or header, old or new), not a password, not the
// cookie header; not even when the store fails and the error is logged.
func TestLogsNeverHoldSessionKeysOrPasswords(t *testing.T) {
	t.Parallel()
	app, logs := newLoggedApp(t, apitest.Options{})
	const pw, newPW = "quartz-lantern-meadow", "harbour-violet-summit"
	var secrets []string

	b := app.Browser()
	b.Post("/api/session/visit", nil).Want(t, http.StatusOK)
	secrets = append(secrets, b.SessionKey())
	b.Post("/api/auth/register", map[string]string{"username": "ann", "password": pw}).Want(t, http.StatusCreated)
	b.Post("/api/auth/login", map[string]string{"username": "ann", "password": "wrong-" + pw}).WantError(t, http.StatusUnauthorized, "invalid_credentials")
	b.Post("/api/auth/login", map[string]string{"username": "ann", "password": pw}).Want(t, http.StatusOK)
	secrets = append(secrets, b.SessionKey())
	b.Post("/api/auth/password", map[string]string{"old_password": pw, "new_password": newPW}).Want(t, http.StatusNoContent)
	secrets = append(secrets, b.SessionKey())
	b.Get("/api/auth/me").Want(t, http.StatusOK)

	m := app.Mobile()
	m.Post("/api/session/visit", nil).Want(t, http.StatusOK)
	secrets = append(secrets, m.SessionKey())
	m.Post("/api/auth/login", map[string]string{"username": "ann", "password": newPW}).Want(t, http.StatusOK)
	secrets = append(secrets, m.SessionKey())
	m.Get("/api/session").Want(t, http.StatusOK)

	app.StopSessionStore(t) // the store's failure is logged, with its error
	b.Get("/api/session").WantError(t, http.StatusServiceUnavailable, "unavailable")
	m.Post("/api/session/visit", nil).WantError(t, http.StatusServiceUnavailable, "unavailable")

	all := logs.String()
	if len(logs.lines(t, "request")) != 11 || len(logs.lines(t, "request failed")) != 2 {
		t.Fatalf("expected a line per request and one per failure; log:\n%s", all)
	}
	for _, s := range append(secrets, pw, newPW, "sessionid=") {
		if s == "" {
			t.Fatal("a client had no session key")
		}
		if strings.Contains(all, s) {
			t.Errorf("the log holds %q:\n%s", s, all)
		}
	}
}

// requestLine returns the request log line with the id, failing the test if
// there is not exactly one.
func requestLine(t *testing.T, logs *logBuffer, id string) map[string]any {
	t.Helper()
	var found []map[string]any
	for _, line := range logs.lines(t, "request") {
		if line["request_id"] == id {
			found = append(found, line)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d request log lines with request_id %q, want 1; log:\n%s", len(found), id, logs.String())
	}
	return found[0]
}
