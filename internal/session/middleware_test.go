package session_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/testdb"
)

// djangoDefaults are Django's session settings. HttpOnly is the one that
// must be asked for: the zero Options leave it off.
var djangoDefaults = session.Options{}

// app is a tiny Echo application with the session middleware, its handlers
// using the session as feature handlers do, through session.From.
type app struct {
	*fixture
	e *echo.Echo
}

// newApp returns an app on a fresh database of url. Recover is outside the
// session middleware, as in the real server, and the error handler maps the
// session errors as the API's does.
func newApp(t testing.TB, url string, opts session.Options) *app {
	t.Helper()
	a := &app{fixture: newFixture(t, url, opts), e: echo.New()}
	a.e.Logger.SetOutput(io.Discard)
	a.e.HTTPErrorHandler = a.handleError
	a.e.Use(middleware.Recover())
	a.e.Use(a.m.Middleware())

	a.e.GET("/untouched", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	a.handle(http.MethodGet, "/read", func(c echo.Context, s *session.Session) error {
		var n int
		s.Get("n", &n)
		return c.JSON(http.StatusOK, map[string]int{"n": n})
	})
	a.handle(http.MethodPost, "/write", func(c echo.Context, s *session.Session) error {
		var n int
		s.Get("n", &n)
		if err := s.Set("n", n+1); err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]int{"n": n + 1})
	})
	a.handle(http.MethodPost, "/flush", func(c echo.Context, s *session.Session) error {
		if err := s.Flush(c.Request().Context()); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	})
	a.handle(http.MethodPost, "/cycle", func(c echo.Context, s *session.Session) error {
		if err := s.CycleKey(c.Request().Context()); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	})
	a.handle(http.MethodPost, "/clear", func(c echo.Context, s *session.Session) error {
		s.Clear()
		return c.NoContent(http.StatusNoContent)
	})
	return a
}

// handle registers a handler that gets the request's session.
func (a *app) handle(method, path string, h func(c echo.Context, s *session.Session) error) {
	a.e.Add(method, path, func(c echo.Context) error {
		s, err := session.From(c)
		if err != nil {
			return err
		}
		return h(c, s)
	})
}

func (a *app) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	switch {
	case errors.Is(err, session.ErrInterrupted):
		c.JSON(http.StatusBadRequest, map[string]string{"error": "session_interrupted"})
	case errors.Is(err, session.ErrUnavailable):
		c.JSON(http.StatusServiceUnavailable, map[string]string{"error": "unavailable"})
	default:
		a.e.DefaultHTTPErrorHandler(err, c)
	}
}

// onEachDatabase runs spec on PostgreSQL and on SQLite, in parallel; each
// app spec makes gets a fresh database.
func onEachDatabase(t *testing.T, spec func(t *testing.T, newApp func(session.Options) *app)) {
	t.Helper()
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		t.Parallel()
		spec(t, func(opts session.Options) *app {
			t.Helper()
			return newApp(t, newURL(t), opts)
		})
	})
}

// serve sends a request through the router and returns the response as the
// client gets it: its headers are those sent with the status line, not any
// set after the fact.
func (a *app) serve(t testing.TB, method, target string, opts ...func(*http.Request)) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for _, o := range opts {
		o(req)
	}
	rec := httptest.NewRecorder()
	a.e.ServeHTTP(rec, req)
	return rec.Result()
}

// withCookie sends key in the sessionid cookie.
func withCookie(key string) func(*http.Request) { return withNamedCookie("sessionid", key) }

func withNamedCookie(name, key string) func(*http.Request) {
	return func(r *http.Request) { r.AddCookie(&http.Cookie{Name: name, Value: key}) }
}

// withKeyHeader sends key in X-Session-Key, as a client without cookies does.
func withKeyHeader(key string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set(session.HeaderKey, key) }
}

func body(t testing.TB, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustStatus(t testing.TB, res *http.Response, want int) {
	t.Helper()
	if res.StatusCode != want {
		t.Fatalf("status %d, want %d", res.StatusCode, want)
	}
}

// setCookie is one Set-Cookie line, taken apart.
type setCookie struct {
	raw, name, value string
	attrs            map[string]string // lower-case attribute name → value
}

func (c setCookie) has(attr string) bool { _, ok := c.attrs[strings.ToLower(attr)]; return ok }

// issued returns the one Set-Cookie of res, failing the test if there is
// not exactly one.
func issued(t testing.TB, res *http.Response) setCookie {
	t.Helper()
	lines := res.Header.Values("Set-Cookie")
	if len(lines) != 1 {
		t.Fatalf("Set-Cookie: %q; want exactly one", lines)
	}
	parts := strings.Split(lines[0], "; ")
	name, value, _ := strings.Cut(parts[0], "=")
	c := setCookie{raw: lines[0], name: name, value: value, attrs: map[string]string{}}
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(p, "=")
		c.attrs[strings.ToLower(k)] = v
	}
	return c
}

// issuedKey returns the key of the session cookie res sets, checking that
// it is a new, well-formed key with Django's default attributes.
func (a *app) issuedKey(t testing.TB, res *http.Response) string {
	t.Helper()
	c := issued(t, res)
	if c.name != "sessionid" || !keyPattern.MatchString(c.value) {
		t.Fatalf("Set-Cookie %q: want sessionid with a 32-character key", c.raw)
	}
	return c.value
}

func mustNotSetCookie(t testing.TB, res *http.Response) {
	t.Helper()
	if lines := res.Header.Values("Set-Cookie"); len(lines) != 0 {
		t.Fatalf("Set-Cookie: %q; want none", lines)
	}
}

// mustDeleteCookie checks that res deletes the sessionid cookie as Django
// does: empty, Max-Age=0, expires in 1970.
func mustDeleteCookie(t testing.TB, res *http.Response) {
	t.Helper()
	c := issued(t, res)
	if c.name != "sessionid" || c.value != "" || c.attrs["max-age"] != "0" ||
		c.attrs["expires"] != "Thu, 01 Jan 1970 00:00:00 GMT" || c.attrs["path"] != "/" {
		t.Fatalf("Set-Cookie %q: want sessionid deleted (empty, Max-Age=0, Expires in 1970, Path=/)", c.raw)
	}
}

// varies reports whether res lists name in Vary.
func varies(res *http.Response, name string) bool {
	for _, v := range res.Header.Values("Vary") {
		for _, f := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), name) {
				return true
			}
		}
	}
	return false
}

func mustVaryOnCookie(t testing.TB, res *http.Response) {
	t.Helper()
	if !varies(res, "Cookie") {
		t.Fatalf("Vary: %q; want Cookie", res.Header.Values("Vary"))
	}
}

func mustNotVary(t testing.TB, res *http.Response) {
	t.Helper()
	if v := res.Header.Values("Vary"); len(v) != 0 {
		t.Fatalf("Vary: %q; want none", v)
	}
}

// mustNotSendKeyHeader checks that res does not carry X-Session-Key at all.
func mustNotSendKeyHeader(t testing.TB, res *http.Response) {
	t.Helper()
	if v, ok := res.Header[session.HeaderKey]; ok {
		t.Fatalf("%s: %q; want no such header", session.HeaderKey, v)
	}
}

// httpDate is t as cookies carry it.
func httpDate(t time.Time) string { return t.UTC().Format(http.TimeFormat) }

func TestMiddlewareNeverReachesTheStoreForARequestThatDoesNotAskForItsSession(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, newApp func(session.Options) *app) {
		a := newApp(djangoDefaults)
		key := a.saved(t, map[string]any{"n": 1}).Key()
		a.db.Close() // any store access fails from here on

		res := a.serve(t, http.MethodGet, "/untouched", withCookie(key))
		mustStatus(t, res, http.StatusOK)
		mustNotSetCookie(t, res)
		mustNotVary(t, res)

		// The same request to a handler that does ask fails, so the one
		// above succeeded only because it never reached the store.
		res = a.serve(t, http.MethodGet, "/read", withCookie(key))
		mustStatus(t, res, http.StatusServiceUnavailable)
	})
}

func TestMiddlewareGivesANewVisitorWhoWritesACookieWithDjangosAttributes(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, newApp func(session.Options) *app) {
		a := newApp(djangoDefaults)
		res := a.serve(t, http.MethodPost, "/write")
		mustStatus(t, res, http.StatusOK)

		key := a.issuedKey(t, res)
		c := issued(t, res)
		want := map[string]string{
			"max-age":  "1209600",
			"expires":  httpDate(a.clock.Now().Add(defaultAge * time.Second)),
			"path":     "/",
			"samesite": "Lax",
			"httponly": "",
		}
		for k, v := range want {
			if got, ok := c.attrs[k]; !ok || got != v {
				t.Errorf("Set-Cookie %q: %s=%q, want %q", c.raw, k, got, v)
			}
		}
		if c.has("Secure") || c.has("Domain") {
			t.Errorf("Set-Cookie %q: want neither Secure nor Domain by default", c.raw)
		}
		mustVaryOnCookie(t, res)
		mustNotSendKeyHeader(t, res) // the key never goes in a header to cookie clients
		if strings.Contains(body(t, res), key) {
			t.Error("the key is in the response body")
		}
		if got := a.payload(t, key)["n"]; got != 1.0 {
			t.Errorf("stored n = %v, want 1", got)
		}
	})
}

func TestMiddlewareLeavesANewVisitorWhoDoesNotWriteWithoutASession(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, newApp func(session.Options) *app) {
		a := newApp(djangoDefaults)

		res := a.serve(t, http.MethodGet, "/untouched")
		mustNotSetCookie(t, res)
		mustNotVary(t, res)

		res = a.serve(t, http.MethodGet, "/read")
		mustNotSetCookie(t, res)
		mustVaryOnCookie(t, res)

		if n := a.rows(t); n != 0 {
			t.Fatalf("%d rows after requests that only read, want 0", n)
		}
	})
}

func TestMiddlewareSendsNothingForAValidCookieWhoseSessionIsNotUsed(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, newApp func(session.Options) *app) {
		a := newApp(djangoDefaults)
		key := a.saved(t, map[string]any{"n": 1}).Key()
		before := a.mustRecord(t, key)
		a.clock.Advance(time.Minute) // a save now would move expire_date

		res := a.serve(t, http.MethodGet, "/untouched", withCookie(key))
		mustNotSetCookie(t, res)
		mustNotVary(t, res)
		if after := a.mustRecord(t, key); after != before {
			t.Fatalf("the row changed from %+v to %+v", before, after)
		}
	})
}

func TestMiddlewareOnlyVariesOnCookieWhenAValidSessionIsRead(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, newApp func(session.Options) *app) {
		a := newApp(djangoDefaults)
		key := a.saved(t, map[string]any{"n": 7}).Key()
		before := a.mustRecord(t, key)
		a.clock.Advance(time.Minute)

		res := a.serve(t, http.MethodGet, "/read", withCookie(key))
		if got := body(t, res); got != `{"n":7}`+"\n" {
			t.Fatalf("body %q, want the session's n", got)
		}
		mustNotSetCookie(t, res)
		mustVaryOnCookie(t, res)
		if after := a.mustRecord(t, key); after != before {
			t.Fatalf("a read-only request wrote the row: %+v, then %+v", before, after)
		}
	})
}

func TestMiddlewareSavesAWrittenSessionUnderItsKeyAndRefreshesTheCookie(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, newApp func(session.Options) *app) {
		a := newApp(djangoDefaults)
		key := a.saved(t, map[string]any{"n": 1}).Key()
		a.clock.Advance(time.Hour)

		res := a.serve(t, http.MethodPost, "/write", withCookie(key))
		if got := a.issuedKey(t, res); got != key {
			t.Fatalf("cookie key %q, want the same key %q", got, key)
		}
		if c := issued(t, res); c.attrs["expires"] != httpDate(a.clock.Now().Add(defaultAge*time.Second)) {
			t.Fatalf("Set-Cookie %q: want Expires two weeks from the write", c.raw)
		}
		if got := a.payload(t, key)["n"]; got != 2.0 {
			t.Fatalf("stored n = %v, want 2", got)
		}
		if n := a.rows(t); n != 1 {
			t.Fatalf("%d rows, want 1", n)
		}
	})
}

// untrustedKeys are the keys a client may present that the server does not
// know; plant stores what makes each one what it is and returns it.
var untrustedKeys = []struct {
	name  string
	plant func(t *testing.T, a *app) string
}{
	{"never issued", func(t *testing.T, a *app) string { return unknownKey }},
	{"malformed", func(t *testing.T, a *app) string { return "Not-A-Key" }},
	{"placeholder", func(t *testing.T, a *app) string { return "new" }},
	{"expired", func(t *testing.T, a *app) string {
		t.Helper()
		if err := a.store.Create(context.Background(), unknownKey, session.Record{Data: signed(`{"n":5}`, testSecret), Expiry: time.Now().Add(-time.Second)}); err != nil {
			t.Fatal(err)
		}
		return unknownKey
	}},
	{"tampered", func(t *testing.T, a *app) string {
		t.Helper()
		if err := a.store.Create(context.Background(), unknownKey, session.Record{Data: signed(`{"n":5}`, "attacker"), Expiry: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		return unknownKey
	}},
	{"flushed", func(t *testing.T, a *app) string {
		t.Helper()
		key := a.saved(t, map[string]any{"n": 5}).Key()
		if err := a.store.Delete(context.Background(), key); err != nil {
			t.Fatal(err)
		}
		return key
	}},
}

func TestMiddlewareDeletesTheCookieOfAKeyItDoesNotKnowWhenTheSessionIsRead(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, newApp func(session.Options) *app) {
		for _, k := range untrustedKeys {
			t.Run(k.name, func(t *testing.T) {
				a := newApp(djangoDefaults)
				key := k.plant(t, a)
				rows := a.rows(t)

				res := a.serve(t, http.MethodGet, "/read", withCookie(key))
				if got := body(t, res); got != `{"n":0}`+"\n" {
					t.Fatalf("body %q: the handler saw data it should not", got)
				}
				mustDeleteCookie(t, res)
				mustVaryOnCookie(t, res)
				if n := a.rows(t); n != rows {
					t.Fatalf("rows went from %d to %d on a read", rows, n)
				}
			})
		}
	})
}

func TestMiddlewareIssuesANewKeyInsteadOfAdoptingAnUnknownOne(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, newApp func(session.Options) *app) {
		for _, k := range untrustedKeys {
			t.Run(k.name, func(t *testing.T) {
				a := newApp(djangoDefaults)
				presented := k.plant(t, a)
				planted, hadRow := a.record(t, presented)

				res := a.serve(t, http.MethodPost, "/write", withCookie(presented))
				key := a.issuedKey(t, res)
				if key == presented {
					t.Fatalf("the presented key %q was adopted", presented)
				}
				if got := a.payload(t, key)["n"]; got != 1.0 {
					t.Fatalf("n under the new key = %v, want 1: nothing of the old session carries over", got)
				}
				if after, ok := a.record(t, presented); ok != hadRow || after != planted {
					t.Fatalf("the row of the presented key changed: %+v (%v), then %+v (%v)", planted, hadRow, after, ok)
				}
			})
		}
	})
}

func TestMiddlewareCookieLifetimeFollowsTheSessionsExpiry(t *testing.T) {
	cases := []struct {
		name    string
		opts    session.Options
		set     func(s *session.Session)
		maxAge  int // 0: a browser-session cookie, with neither Max-Age nor Expires
		rowLife time.Duration
	}{
		{"default", djangoDefaults, func(s *session.Session) {}, defaultAge, defaultAge * time.Second},
		{"SetExpiry(1h)", djangoDefaults, func(s *session.Session) { s.SetExpiry(time.Hour) }, 3600, time.Hour},
		{"SetExpiry(0)", djangoDefaults, func(s *session.Session) { s.SetExpiry(0) }, 0, defaultAge * time.Second},
		{"Options.ExpireAtBrowserClose", session.Options{ExpireAtBrowserClose: true},
			func(s *session.Session) {}, 0, defaultAge * time.Second},
		{"Options.Age", session.Options{Age: 30 * time.Minute},
			func(s *session.Session) {}, 1800, 30 * time.Minute},
	}
	onEachDatabase(t, func(t *testing.T, newApp func(session.Options) *app) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				a := newApp(tc.opts)
				a.handle(http.MethodPost, "/expiry", func(c echo.Context, s *session.Session) error {
					s.Set("n", 1)
					tc.set(s)
					return c.NoContent(http.StatusNoContent)
				})
				res := a.serve(t, http.MethodPost, "/expiry")
				key := a.issuedKey(t, res)
				c := issued(t, res)
				if tc.maxAge == 0 {
					if c.has("Max-Age") || c.has("Expires") {
						t.Errorf("Set-Cookie %q: want a browser-session cookie, without Max-Age or Expires", c.raw)
					}
				} else {
					wantExpires := httpDate(a.clock.Now().Add(time.Duration(tc.maxAge) * time.Second))
					if c.attrs["max-age"] != strconv.Itoa(tc.maxAge) || c.attrs["expires"] != wantExpires {
						t.Errorf("Set-Cookie %q: want Max-Age=%d; Expires=%s", c.raw, tc.maxAge, wantExpires)
					}
				}
				if got, want := a.mustRecord(t, key).Expire, a.clock.Now().Add(tc.rowLife); !got.Equal(want) {
					t.Errorf("expire_date = %v, want %v", got, want)
				}
			})
		}
	})
}

func TestMiddlewareDoesNotSaveASessionWithA5xxResponse(t *testing.T) {
	failures := map[string]func(c echo.Context) error{
		"500 written by the handler": func(c echo.Context) error { return c.String(http.StatusInternalServerError, "oops") },
		"an unknown error returned":  func(c echo.Context) error { return errors.New("boom") },
		"503 returned as HTTPError":  func(c echo.Context) error { return echo.NewHTTPError(http.StatusServiceUnavailable) },
	}
	onEachDatabase(t, func(t *testing.T, newApp func(session.Options) *app) {
		for name, fail := range failures {
			t.Run(name, func(t *testing.T) {
				a := newApp(djangoDefaults)
				key := a.saved(t, map[string]any{"n": 1}).Key()
				a.handle(http.MethodPost, "/fail", func(c echo.Context, s *session.Session) error {
					s.Set("n", 99)
					return fail(c)
				})

				for _, opt := range []func(*http.Request){withCookie(key), func(*http.Request) {}} {
					res := a.serve(t, http.MethodPost, "/fail", opt)
					if res.StatusCode < 500 {
						t.Fatalf("status %d, want a 5xx", res.StatusCode)
					}
					mustNotSetCookie(t, res)
				}
				if got := a.payload(t, key)["n"]; got != 1.0 {
					t.Fatalf("stored n = %v after a 5xx, want it unchanged (1)", got)
				}
				if n := a.rows(t); n != 1 {
					t.Fatalf("%d rows, want only the existing session: a new visitor's was saved on a 5xx", n)
				}
			})
		}
	})
}

func TestMiddlewareSavesTheSessionOfAHandlerThatReturnsAClientError(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, newApp func(session.Options) *app) {
		a := newApp(djangoDefaults)
		a.handle(http.MethodPost, "/missing", func(c echo.Context, s *session.Session) error {
			s.Set("last_miss", "/missing")
			return echo.NewHTTPError(http.StatusNotFound, "no such thing")
		})
		res := a.serve(t, http.MethodPost, "/missing")
		mustStatus(t, res, http.StatusNotFound)
		if got := body(t, res); !strings.Contains(got, "no such thing") {
			t.Fatalf("body %q, want the handler's error", got)
		}
		key := a.issuedKey(t, res)
		if got := a.payload(t, key)["last_miss"]; got != "/missing" {
			t.Fatalf("stored last_miss = %v", got)
		}
	})
}

func TestMiddlewareFlushDeletesTheRecordAndTheCookie(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, newApp func(session.Options) *app) {
		a := newApp(djangoDefaults)
		key := a.saved(t, map[string]any{"user": 1}).Key()

		res := a.serve(t, http.MethodPost, "/flush", withCookie(key))
		mustStatus(t, res, http.StatusNoContent)
		mustDeleteCookie(t, res)
		mustVaryOnCookie(t, res)
		a.mustNotRecord(t, key)
		if n := a.rows(t); n != 0 {
			t.Fatalf("%d rows after a flush, want 0", n)
		}
	})
}

func TestMiddlewareCycleKeyMovesTheSessionToANewCookie(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, newApp func(session.Options) *app) {
		a := newApp(djangoDefaults)
		old := a.saved(t, map[string]any{"n": 4}).Key()

		res := a.serve(t, http.MethodPost, "/cycle", withCookie(old))
		key := a.issuedKey(t, res)
		if key == old {
			t.Fatal("CycleKey kept the key")
		}
		a.mustNotRecord(t, old)
		if got := a.payload(t, key)["n"]; got != 4.0 {
			t.Fatalf("n under the new key = %v, want 4", got)
		}
		mustNotSendKeyHeader(t, res)
	})
}

func TestMiddlewareClearKeepsTheKeyAndTheCookie(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, newApp func(session.Options) *app) {
		a := newApp(djangoDefaults)
		key := a.saved(t, map[string]any{"n": 4}).Key()

		res := a.serve(t, http.MethodPost, "/clear", withCookie(key))
		if got := a.issuedKey(t, res); got != key {
			t.Fatalf("cookie key after Clear %q, want the same key %q", got, key)
		}
		if got := a.payload(t, key); len(got) != 0 {
			t.Fatalf("stored data after Clear = %v, want {}", got)
		}
	})
}

func TestMiddlewareAnswersASaveAfterAConcurrentDeleteWithTheErrorInstead(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, newApp func(session.Options) *app) {
		a := newApp(djangoDefaults)
		key := a.saved(t, map[string]any{"user": 1}).Key()
		a.handle(http.MethodPost, "/slow", func(c echo.Context, s *session.Session) error {
			s.Has("user")
			// Meanwhile a logout elsewhere deletes the session.
			if err := a.store.Delete(context.Background(), key); err != nil {
				return err
			}
			s.Set("cart", 1)
			c.Response().Header().Set("X-Handler", "yes")
			return c.String(http.StatusOK, "handler body")
		})

		res := a.serve(t, http.MethodPost, "/slow", withCookie(key))
		mustStatus(t, res, http.StatusBadRequest)
		if got := body(t, res); strings.Contains(got, "handler body") || !strings.Contains(got, "session_interrupted") {
			t.Fatalf("body %q: want the error handler's, not the handler's", got)
		}
		if res.Header.Get("X-Handler") != "" {
			t.Fatal("a header the handler set went out with the error")
		}
		mustNotSetCookie(t, res)
		a.mustNotRecord(t, key) // not resurrected
	})
}

func TestMiddlewareAnswersAFailedSaveWithTheErrorInstead(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, newApp func(session.Options) *app) {
		a := newApp(djangoDefaults)
		a.handle(http.MethodPost, "/outage", func(c echo.Context, s *session.Session) error {
			s.Set("n", 1)
			a.db.Close() // the database goes away before the commit
			return c.String(http.StatusOK, "handler body")
		})
		res := a.serve(t, http.MethodPost, "/outage")
		mustStatus(t, res, http.StatusServiceUnavailable)
		if got := body(t, res); strings.Contains(got, "handler body") {
			t.Fatalf("body %q: the handler's response went out although its session was lost", got)
		}
		mustNotSetCookie(t, res)
	})
}

func TestMiddlewareCommitsBeforeTheHeadersOfADirectlyWrittenResponse(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, newApp func(session.Options) *app) {
		a := newApp(djangoDefaults)
		a.handle(http.MethodPost, "/direct", func(c echo.Context, s *session.Session) error {
			s.Set("n", 1)
			res := c.Response()
			res.Header().Set("Content-Type", "text/plain")
			res.WriteHeader(http.StatusCreated)
			_, err := res.Write([]byte("written directly"))
			return err
		})
		// serve's response has the headers as they were at WriteHeader.
		res := a.serve(t, http.MethodPost, "/direct")
		mustStatus(t, res, http.StatusCreated)
		if got := body(t, res); got != "written directly" {
			t.Fatalf("body %q", got)
		}
		key := a.issuedKey(t, res)
		a.mustRecord(t, key)
	})
}

func TestMiddlewareCommitsAtTheFirstFlushOfAStreamedResponse(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, newApp func(session.Options) *app) {
		a := newApp(djangoDefaults)
		release := make(chan struct{})
		a.handle(http.MethodGet, "/stream", func(c echo.Context, s *session.Session) error {
			s.Set("streamed", true)
			res := c.Response()
			res.Header().Set("Content-Type", "text/plain")
			res.WriteHeader(http.StatusOK)
			res.Write([]byte("first\n"))
			res.Flush()
			<-release // the test reads the headers meanwhile
			res.Write([]byte("second\n"))
			return nil
		})
		srv := httptest.NewServer(a.e)
		t.Cleanup(srv.Close)
		var once sync.Once
		done := func() { once.Do(func() { close(release) }) }
		t.Cleanup(done) // runs before srv.Close

		// Get returns with the headers, while the handler is still waiting.
		res, err := srv.Client().Get(srv.URL + "/stream")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		key := a.issuedKey(t, res)
		if got := a.payload(t, key)["streamed"]; got != true {
			t.Fatalf("stored streamed = %v before the handler returned, want true", got)
		}
		r := bufio.NewReader(res.Body)
		if line, _ := r.ReadString('\n'); line != "first\n" {
			t.Fatalf("first chunk %q", line)
		}
		done()
		if rest, _ := io.ReadAll(r); string(rest) != "second\n" {
			t.Fatalf("rest of the stream %q", rest)
		}
	})
}

func TestMiddlewareDoesNotSaveOrSendAnythingOfAHandlerThatPanics(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, newApp func(session.Options) *app) {
		a := newApp(djangoDefaults)
		a.handle(http.MethodPost, "/panic", func(c echo.Context, s *session.Session) error {
			s.Set("n", 1)
			c.Response().Header().Set("X-Handler", "yes")
			c.Response().Write([]byte("partial output"))
			panic("boom")
		})
		res := a.serve(t, http.MethodPost, "/panic")
		mustStatus(t, res, http.StatusInternalServerError)
		if got := body(t, res); strings.Contains(got, "partial") {
			t.Fatalf("body %q: the panicking handler's output went out", got)
		}
		if res.Header.Get("X-Handler") != "" {
			t.Fatal("a header the panicking handler set went out")
		}
		mustNotSetCookie(t, res)
		if n := a.rows(t); n != 0 {
			t.Fatalf("%d rows after a panic, want 0", n)
		}
	})
}

func TestMiddlewareWithSaveEveryRequestRefreshesTheSessionOnEveryRequest(t *testing.T) {
	opts := session.Options{SaveEveryRequest: true}
	onEachDatabase(t, func(t *testing.T, newApp func(session.Options) *app) {
		for _, path := range []string{"/read", "/untouched"} {
			t.Run(path, func(t *testing.T) {
				a := newApp(opts)
				key := a.saved(t, map[string]any{"n": 1}).Key()
				a.clock.Advance(time.Hour)
				wantExpiry := a.clock.Now().Add(defaultAge * time.Second)

				res := a.serve(t, http.MethodGet, path, withCookie(key))
				if got := a.issuedKey(t, res); got != key {
					t.Fatalf("cookie key %q, want the same key %q", got, key)
				}
				if c := issued(t, res); c.attrs["max-age"] != "1209600" || c.attrs["expires"] != httpDate(wantExpiry) {
					t.Fatalf("Set-Cookie %q: want it refreshed to two weeks from now", c.raw)
				}
				if got := a.mustRecord(t, key).Expire; !got.Equal(wantExpiry) {
					t.Fatalf("expire_date = %v, want it moved to %v", got, wantExpiry)
				}
			})
		}
		t.Run("a new visitor still gets no session", func(t *testing.T) {
			a := newApp(opts)
			for _, path := range []string{"/read", "/untouched"} {
				mustNotSetCookie(t, a.serve(t, http.MethodGet, path))
			}
			if n := a.rows(t); n != 0 {
				t.Fatalf("%d rows, want 0", n)
			}
		})
		t.Run("an unknown key is still not adopted", func(t *testing.T) {
			a := newApp(opts)
			mustDeleteCookie(t, a.serve(t, http.MethodGet, "/untouched", withCookie(unknownKey)))
			if n := a.rows(t); n != 0 {
				t.Fatalf("%d rows, want 0", n)
			}
		})
	})
}

func TestMiddlewareCookieOptionsAppearInSetCookie(t *testing.T) {
	cases := []struct {
		name  string
		opts  session.Options
		attr  string // the attribute that must appear, lower case
		value string
	}{
		{"domain", session.Options{CookieDomain: "example.com"}, "domain", "example.com"},
		{"path", session.Options{CookiePath: "/api"}, "path", "/api"},
		{"secure", session.Options{CookieSecure: true}, "secure", ""},
		{"httponly by default", session.Options{}, "httponly", ""},
		{"SameSite=None", session.Options{CookieSameSite: http.SameSiteNoneMode, CookieSecure: true}, "samesite", "None"},
		{"SameSite=Strict", session.Options{CookieSameSite: http.SameSiteStrictMode}, "samesite", "Strict"},
	}
	onEachDatabase(t, func(t *testing.T, newApp func(session.Options) *app) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				a := newApp(tc.opts)
				c := issued(t, a.serve(t, http.MethodPost, "/write"))
				if got, ok := c.attrs[tc.attr]; !ok || got != tc.value {
					t.Fatalf("Set-Cookie %q: %s=%q (present %v), want %q", c.raw, tc.attr, got, ok, tc.value)
				}
				// Flush's deletion carries the same attributes, or the
				// browser would keep the cookie.
				res := a.serve(t, http.MethodPost, "/flush", withCookie(c.value))
				if got, ok := issued(t, res).attrs[tc.attr]; !ok || got != tc.value {
					t.Fatalf("deleting Set-Cookie %q lacks %s=%q", issued(t, res).raw, tc.attr, tc.value)
				}
			})
		}
		t.Run("name", func(t *testing.T) {
			a := newApp(session.Options{CookieName: "__Host-sid", CookieSecure: true})
			c := issued(t, a.serve(t, http.MethodPost, "/write"))
			if c.name != "__Host-sid" {
				t.Fatalf("Set-Cookie %q, want the __Host-sid cookie", c.raw)
			}
			// The session comes back under that name, and only that one.
			res := a.serve(t, http.MethodGet, "/read", withNamedCookie("__Host-sid", c.value))
			if got := body(t, res); got != `{"n":1}`+"\n" {
				t.Fatalf("body %q with the named cookie, want n 1", got)
			}
			res = a.serve(t, http.MethodGet, "/read", withCookie(c.value))
			if got := body(t, res); got != `{"n":0}`+"\n" {
				t.Fatalf("body %q with a sessionid cookie, want no session", got)
			}
		})
	})
}

func TestMiddlewareGivesAHeaderClientItsKeyInTheHeaderAndNoCookie(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, newApp func(session.Options) *app) {
		a := newApp(djangoDefaults)

		res := a.serve(t, http.MethodPost, "/write", withKeyHeader("new"))
		mustNotSetCookie(t, res)
		key := res.Header.Get(session.HeaderKey)
		if !keyPattern.MatchString(key) {
			t.Fatalf("%s: %q, want a new 32-character key", session.HeaderKey, key)
		}
		if !varies(res, session.HeaderKey) {
			t.Fatalf("Vary: %q; want %s", res.Header.Values("Vary"), session.HeaderKey)
		}

		// The next requests carry the key and see the data; a known key that
		// does not change is not sent back.
		res = a.serve(t, http.MethodGet, "/read", withKeyHeader(key))
		if got := body(t, res); got != `{"n":1}`+"\n" {
			t.Fatalf("body %q, want n 1", got)
		}
		mustNotSendKeyHeader(t, res)
		mustNotSetCookie(t, res)

		res = a.serve(t, http.MethodPost, "/write", withKeyHeader(key))
		mustNotSendKeyHeader(t, res)
		mustNotSetCookie(t, res)
		if got := a.payload(t, key)["n"]; got != 2.0 {
			t.Fatalf("stored n = %v, want 2", got)
		}
	})
}

func TestMiddlewareGivesAHeaderClientItsRotatedKeyInTheHeader(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, newApp func(session.Options) *app) {
		a := newApp(djangoDefaults)
		old := a.saved(t, map[string]any{"n": 3}).Key()

		res := a.serve(t, http.MethodPost, "/cycle", withKeyHeader(old))
		mustNotSetCookie(t, res)
		key := res.Header.Get(session.HeaderKey)
		if !keyPattern.MatchString(key) || key == old {
			t.Fatalf("%s: %q after CycleKey, want a new key", session.HeaderKey, key)
		}
		a.mustNotRecord(t, old)
		if got := a.payload(t, key)["n"]; got != 3.0 {
			t.Fatalf("n under the new key = %v, want 3", got)
		}
	})
}

func TestMiddlewareTellsAHeaderClientToForgetItsKey(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, newApp func(session.Options) *app) {
		t.Run("after a flush", func(t *testing.T) {
			a := newApp(djangoDefaults)
			key := a.saved(t, map[string]any{"user": 1}).Key()
			res := a.serve(t, http.MethodPost, "/flush", withKeyHeader(key))
			mustNotSetCookie(t, res)
			if v, ok := res.Header[session.HeaderKey]; !ok || len(v) != 1 || v[0] != "" {
				t.Fatalf("%s: %q (present %v); want an empty value", session.HeaderKey, v, ok)
			}
			a.mustNotRecord(t, key)
		})
		t.Run("that the server does not know", func(t *testing.T) {
			a := newApp(djangoDefaults)
			res := a.serve(t, http.MethodGet, "/read", withKeyHeader(unknownKey))
			mustNotSetCookie(t, res)
			if v, ok := res.Header[session.HeaderKey]; !ok || v[0] != "" {
				t.Fatalf("%s: %q (present %v); want an empty value", session.HeaderKey, v, ok)
			}
		})
	})
}

func TestMiddlewarePrefersTheKeyHeaderToTheCookie(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, newApp func(session.Options) *app) {
		a := newApp(djangoDefaults)
		cookieKey := a.saved(t, map[string]any{"n": 1}).Key()
		headerKey := a.saved(t, map[string]any{"n": 5}).Key()

		res := a.serve(t, http.MethodGet, "/read", withCookie(cookieKey), withKeyHeader(headerKey))
		if got := body(t, res); got != `{"n":5}`+"\n" {
			t.Fatalf("body %q, want the header's session (n 5)", got)
		}

		// A placeholder in the header wins over a valid cookie too.
		res = a.serve(t, http.MethodPost, "/write", withCookie(cookieKey), withKeyHeader("new"))
		mustNotSetCookie(t, res)
		key := res.Header.Get(session.HeaderKey)
		if key == "" || key == cookieKey || key == headerKey {
			t.Fatalf("%s: %q, want a new key", session.HeaderKey, key)
		}
		if got := a.payload(t, cookieKey)["n"]; got != 1.0 {
			t.Fatalf("the cookie's session changed: n = %v", got)
		}
	})
}

func TestMiddlewareDoesNotGiveAHeaderClientAKeyWithA5xx(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, newApp func(session.Options) *app) {
		a := newApp(djangoDefaults)
		a.handle(http.MethodPost, "/fail", func(c echo.Context, s *session.Session) error {
			s.Set("n", 1)
			return errors.New("boom")
		})
		res := a.serve(t, http.MethodPost, "/fail", withKeyHeader("new"))
		mustStatus(t, res, http.StatusInternalServerError)
		mustNotSendKeyHeader(t, res)
		if n := a.rows(t); n != 0 {
			t.Fatalf("%d rows, want 0", n)
		}
	})
}

func TestFromFailsOnARouteWithoutTheMiddleware(t *testing.T) {
	e := echo.New()
	c := e.NewContext(httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRecorder())
	if s, err := session.From(c); err == nil || s != nil {
		t.Fatalf("From without the middleware = %v, %v; want an error", s, err)
	}
}

func TestMiddlewareLeavesAStreamThatPanicsAfterItsFirstFlushAsSent(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, newApp func(session.Options) *app) {
		a := newApp(djangoDefaults)
		a.handle(http.MethodGet, "/stream", func(c echo.Context, s *session.Session) error {
			s.Set("streamed", true)
			res := c.Response()
			res.WriteHeader(http.StatusOK)
			res.Write([]byte("first\n"))
			res.Flush()
			panic("boom")
		})
		res := a.serve(t, http.MethodGet, "/stream")
		mustStatus(t, res, http.StatusOK)
		// What was flushed is out; an error body must not be appended to it.
		if got := body(t, res); got != "first\n" {
			t.Fatalf("body %q, want only the flushed chunk", got)
		}
		a.issuedKey(t, res)
	})
}

func TestMiddlewareCookieLosesHttpOnlyOnlyWhenAskedTo(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, newApp func(session.Options) *app) {
		a := newApp(session.Options{CookieScriptReadable: true})
		c := issued(t, a.serve(t, http.MethodPost, "/write"))
		if _, ok := c.attrs["httponly"]; ok {
			t.Fatalf("Set-Cookie %q is HttpOnly although SESSION_COOKIE_HTTPONLY=false", c.raw)
		}
	})
}

func TestMiddlewareWarnsOfAChangeMadeAfterTheStreamBegan(t *testing.T) {
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	a := newApp(t, testdb.SQLiteURL(t), session.Options{Logger: logger})
	a.handle(http.MethodPost, "/late-change", func(c echo.Context, s *session.Session) error {
		s.Set("before", 1)
		c.Response().WriteHeader(http.StatusOK)
		c.Response().Flush()
		s.Set("after", 2)
		return nil
	})
	key := issued(t, a.serve(t, http.MethodPost, "/late-change")).value
	if !strings.Contains(logs.String(), "session changed after the response began streaming") {
		t.Fatalf("no warning logged: %q", logs.String())
	}
	s, err := a.m.Load(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Has("before") || s.Has("after") {
		t.Fatalf("stored keys %v, want the change before the first Flush only", s.Keys())
	}
}

// syncBuffer is a strings.Builder safe for a logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
