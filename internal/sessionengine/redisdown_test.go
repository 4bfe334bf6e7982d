package sessionengine_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/djsessions/api/internal/apitest"
	"github.com/djsessions/api/internal/testredis"
)

// The tests here take Redis away from the API: a proxy between the two
// cuts every connection and refuses new ones, while Redis itself keeps
// running with the sessions in it, as a network fault would.

const password = "quartz-lantern-meadow"

type readiness struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

type me struct {
	Username string `json:"username"`
}

type visit struct {
	Count int `json:"visit_count"`
}

// TestCacheWithoutRedisIsUnavailable: the cache engine keeps sessions in
// Redis only, so without it no session can be read or written: 503, never
// an empty session that would log the user out, and readiness fails so
// that a load balancer stops sending requests.
func TestCacheWithoutRedisIsUnavailable(t *testing.T) {
	t.Parallel()
	proxy := testredis.NewProxy(t)
	app := apitest.New(t, apitest.Options{Engine: "cache", CacheURL: proxy.URL()})
	ann := app.Browser()
	loggedIn(t, app, ann, "ann")
	ann.Post("/api/session/visit", nil).Want(t, http.StatusOK)
	key := ann.SessionKey()
	wantReady(t, app, "ok")

	proxy.Down()

	ann.Get("/api/auth/me").WantError(t, http.StatusServiceUnavailable, "unavailable")
	ann.Post("/api/session/visit", nil).WantError(t, http.StatusServiceUnavailable, "unavailable")
	app.Browser().Post("/api/session/visit", nil).WantError(t, http.StatusServiceUnavailable, "unavailable")
	app.Browser().Get("/readyz").WantError(t, http.StatusServiceUnavailable, "unavailable")
	if ann.SessionKey() != key {
		t.Fatalf("the client's key went from %q to %q while Redis was away", key, ann.SessionKey())
	}

	proxy.Up()
	waitReady(t, app, "ok")

	if got := decode[me](t, ann.Get("/api/auth/me").Want(t, http.StatusOK)); got.Username != "ann" {
		t.Fatalf("after Redis came back, /me is %+v, want ann", got)
	}
	if v := decode[visit](t, ann.Post("/api/session/visit", nil).Want(t, http.StatusOK)); v.Count != 2 {
		t.Fatalf("after Redis came back, visit_count %d, want 2: the session was lost", v.Count)
	}
}

// TestCachedDBWithoutRedisServesFromTheDatabase: cached_db's truth is the
// database, so without Redis logged-in requests go on, readiness says
// "degraded" (200, the process stays in the load balancer), and what
// changed meanwhile, a logout included, holds once Redis is back.
func TestCachedDBWithoutRedisServesFromTheDatabase(t *testing.T) {
	t.Parallel()
	proxy := testredis.NewProxy(t)
	app := apitest.New(t, apitest.Options{Engine: "cached_db", CacheURL: proxy.URL()})
	ann, bob := app.Browser(), app.Mobile()
	loggedIn(t, app, ann, "ann")
	loggedIn(t, app, bob, "bob")
	ann.Post("/api/session/visit", nil).Want(t, http.StatusOK)
	bobsKey := bob.SessionKey()
	wantReady(t, app, "ok") // and both sessions are in the cache now

	proxy.Down()

	if got := decode[me](t, ann.Get("/api/auth/me").Want(t, http.StatusOK)); got.Username != "ann" {
		t.Fatalf("without Redis, /me is %+v, want ann", got)
	}
	if v := decode[visit](t, ann.Post("/api/session/visit", nil).Want(t, http.StatusOK)); v.Count != 2 {
		t.Fatalf("without Redis, visit_count %d, want 2", v.Count)
	}
	bob.Post("/api/auth/logout", nil).Want(t, http.StatusNoContent)
	carl := app.Browser()
	loggedIn(t, app, carl, "carl")
	wantReady(t, app, "degraded")

	proxy.Up()
	waitReady(t, app, "ok")

	if v := decode[visit](t, ann.Post("/api/session/visit", nil).Want(t, http.StatusOK)); v.Count != 3 {
		t.Fatalf("after Redis came back, visit_count %d, want 3: a change made without it was lost", v.Count)
	}
	// Bob's session was in the cache when he logged out, and the cache
	// could not be told: that copy must never be served.
	replay := apitest.Transports(app)[1].WithKey(bobsKey)
	replay.Get("/api/auth/me").WantError(t, http.StatusUnauthorized, "not_authenticated")
	carl.Get("/api/auth/me").Want(t, http.StatusOK)
}

// loggedIn registers username and logs cl in as that user.
func loggedIn(t *testing.T, app *apitest.App, cl *apitest.Client, username string) {
	t.Helper()
	creds := map[string]any{"username": username, "password": password}
	app.Browser().Post("/api/auth/register", creds).Want(t, http.StatusCreated)
	cl.Post("/api/auth/login", creds).Want(t, http.StatusOK)
	cl.Get("/api/auth/me").Want(t, http.StatusOK)
}

// wantReady checks that /readyz answers 200 with status, the session cache
// "ok" or, degraded, "unavailable".
func wantReady(t *testing.T, app *apitest.App, status string) {
	t.Helper()
	if got, ok := ready(t, app); !ok || got.Status != status {
		t.Fatalf("/readyz: %+v (200: %v), want status %q", got, ok, status)
	}
}

// waitReady polls /readyz until it answers 200 with status: go-redis dials
// Redis again in the background, at its own pace, once it is back. It
// gives up only shortly before the test binary's own deadline.
func waitReady(t *testing.T, app *apitest.App, status string) {
	t.Helper()
	deadline, limited := t.Deadline()
	for {
		if got, ok := ready(t, app); ok && got.Status == status {
			return
		}
		if limited && time.Until(deadline) < 10*time.Second {
			t.Fatalf("/readyz never said %q again once Redis was back", status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ready returns /readyz's answer, and whether it is a 200.
func ready(t *testing.T, app *apitest.App) (readiness, bool) {
	t.Helper()
	res := app.Browser().Get("/readyz")
	if res.StatusCode != http.StatusOK {
		return readiness{}, false
	}
	got := decode[readiness](t, res)
	wantCheck := map[string]string{"ok": "ok", "degraded": "unavailable"}[got.Status]
	if got.Checks["database"] != "ok" || got.Checks["session_cache"] != wantCheck {
		t.Fatalf("/readyz: %s, want the database ok and the session cache %q", res.Body, wantCheck)
	}
	return got, true
}

func decode[T any](t *testing.T, res *apitest.Response) T {
	t.Helper()
	var v T
	res.JSON(t, &v)
	return v
}
