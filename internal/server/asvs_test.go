package server_test

// Security checks after OWASP ASVS 4.0.3, chapter V3 (session management),
// each named after the requirements it checks. Others live beside what they
// check: key entropy and uniqueness in internal/session (key_test.go),
// constant-time comparisons in session, password and auth
// (consttime_test.go), the login's timing in internal/auth (timing_test.go),
// the __Host- cookie in cmd/api. The README's Security section lists them.

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/djsessions/api/internal/apitest"
	"github.com/djsessions/api/internal/session"
)

// serverEngines are the engines that keep sessions on the server, where a
// session can be ended; with signed_cookies a copied cookie stays valid
// until it expires, as the README says.
var serverEngines = []string{"db", "cache", "cached_db", "file"}

// V3.2.1, V3.3.1 and V3.3.3: a key chosen by someone else is never
// adopted (no fixation); login and a password change each move the session
// to a new key and end the old one on the server; logout ends the session
// on the server. An ended key, replayed, is an anonymous session, and
// writing with it starts a new session under a new key.
func TestASVSNewKeyAtEveryPrivilegeChangeAndNoneAfterLogout(t *testing.T) {
	t.Parallel()
	for _, engine := range serverEngines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			app := apitest.New(t, apitest.Options{Engine: engine})
			for _, tr := range apitest.Transports(app) {
				t.Run(tr.Name, func(t *testing.T) {
					user := "asvs_" + tr.Name
					app.Browser().Post("/api/auth/register", map[string]string{"username": user, "password": sweepPassword}).Want(t, http.StatusCreated)
					creds := map[string]string{"username": user, "password": sweepPassword}

					const chosen = "fixat10nf1xat10nf1xat10nf1xat10n" // a well-formed key no server issued
					res := withKey(tr, chosen).Post("/api/auth/login", creds).Want(t, http.StatusOK)
					if got := issued(tr, res); got == "" || got == chosen {
						t.Fatalf("a login that came with a chosen key was given %q", got)
					}
					wantEnded(t, app, tr, chosen)

					c := tr.New()
					c.Post("/api/session/visit", nil).Want(t, http.StatusOK)
					anonymous := c.SessionKey()
					c.Post("/api/auth/login", creds).Want(t, http.StatusOK)
					loggedIn := c.SessionKey()
					if loggedIn == anonymous {
						t.Fatal("login kept the key")
					}
					wantEnded(t, app, tr, anonymous)

					c.Post("/api/auth/password", map[string]string{"old_password": sweepPassword, "new_password": "harbour-violet-summit"}).Want(t, http.StatusNoContent)
					changed := c.SessionKey()
					if changed == loggedIn {
						t.Fatal("a password change kept the key")
					}
					wantEnded(t, app, tr, loggedIn)
					c.Get("/api/auth/me").Want(t, http.StatusOK)

					c.Post("/api/auth/logout", nil).Want(t, http.StatusNoContent)
					wantEnded(t, app, tr, changed)
				})
			}
		})
	}
}

// wantEnded fails the test unless key, replayed by tr, is an empty and
// anonymous session, with no row left where the engine keeps one, and a
// write with it gets a new key.
func wantEnded(t *testing.T, app *apitest.App, tr apitest.Transport, key string) {
	t.Helper()
	wantAnonymous(t, tr, key)
	if _, found := app.Stored(t, key); found {
		t.Fatalf("django_session still has the ended key's row")
	}
	if got := issued(tr, withKey(tr, key).Post("/api/session/visit", nil).Want(t, http.StatusOK)); got == key {
		t.Fatal("a write with an ended key brought it back")
	}
}

// V3.3.1 and V3.3.2: a login idle for longer than SESSION_IDLE_TIMEOUT
// ends on the server at its next request. A session lasts at most its age
// from its last write: 30 days with remember_me (SESSION_REMEMBER_ME_AGE),
// until the browser closes without it, and the record SESSION_COOKIE_AGE.
// There is no absolute cap beyond that age: each write (a request at least
// once a minute records activity) starts it again.
func TestASVSIdleAndAbsoluteTimeouts(t *testing.T) {
	t.Parallel()
	clock := apitest.NewClock()
	app := apitest.New(t, apitest.Options{Engine: "db", IdleTimeout: 2 * time.Hour, Now: clock.Now})
	app.Browser().Post("/api/auth/register", map[string]string{"username": "timed", "password": sweepPassword}).Want(t, http.StatusCreated)

	t.Run("idle", func(t *testing.T) {
		c := app.Browser()
		c.Post("/api/auth/login", map[string]any{"username": "timed", "password": sweepPassword}).Want(t, http.StatusOK)
		key := c.SessionKey()
		clock.Advance(2*time.Hour + time.Second)
		c.Get("/api/auth/me").WantError(t, http.StatusUnauthorized, "session_expired")
		if _, found := app.Stored(t, key); found {
			t.Fatal("the idle session's row is still stored")
		}
	})

	for _, remember := range []bool{true, false} {
		t.Run(map[bool]string{true: "remember_me", false: "browser session"}[remember], func(t *testing.T) {
			c := app.Browser()
			res := c.Post("/api/auth/login", map[string]any{"username": "timed", "password": sweepPassword, "remember_me": remember}).Want(t, http.StatusOK)
			ck := res.SessionCookie(t)
			row, _ := app.Stored(t, c.SessionKey())
			maxAge, rowAge := 30*24*time.Hour, 30*24*time.Hour
			if !remember {
				maxAge, rowAge = 0, session.DefaultAge
			}
			if time.Duration(ck.MaxAge)*time.Second != maxAge || (remember && !ck.Expires.Equal(clock.Now().Add(maxAge))) || (!remember && !ck.Expires.IsZero()) {
				t.Fatalf("Set-Cookie %q, want Max-Age %v", res.SetCookie("sessionid"), maxAge)
			}
			if !row.Expire.Equal(clock.Now().Add(rowAge)) {
				t.Fatalf("the row expires %v, want %v from now", row.Expire, rowAge)
			}
		})
	}
}

// V3.4.1 to V3.4.5: the session cookie is HttpOnly, SameSite (Lax by
// default), Path=/ with no Domain, and Secure when SESSION_COOKIE_SECURE;
// the cookie that deletes it carries the same attributes, or a browser
// would keep the original.
func TestASVSCookieAttributes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		opts     session.Options
		secure   bool
		sameSite http.SameSite
	}{
		{"by default", session.Options{}, false, http.SameSiteLaxMode},
		{"with SESSION_COOKIE_SECURE and Strict", session.Options{CookieSecure: true, CookieSameSite: http.SameSiteStrictMode}, true, http.SameSiteStrictMode},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			app := apitest.New(t, apitest.Options{Session: tc.opts})
			c := app.Browser()
			set := c.Post("/api/session/visit", nil).Want(t, http.StatusOK)
			key := set.SessionCookie(t).Value
			del := withKey(apitest.Transports(app)[0], key).Delete("/api/session").Want(t, http.StatusNoContent)
			for _, res := range []*apitest.Response{set, del} {
				ck := res.SessionCookie(t)
				if !ck.HttpOnly || ck.SameSite != tc.sameSite || ck.Secure != tc.secure || ck.Path != "/" || ck.Domain != "" {
					t.Fatalf("Set-Cookie %q: want HttpOnly, SameSite %v, Secure %v, Path=/ and no Domain", res.SetCookie("sessionid"), tc.sameSite, tc.secure)
				}
			}
		})
	}
}

// V3.1.1 and V7.1.1: the session key is never in a URL (the contract has
// no query parameter, and carries keys only in the cookie and
// X-Session-Key), in a log line, or in a response body, error bodies
// included, across register, login, errors, a password change and logout,
// by cookie and by header.
func TestASVSKeyNeverInURLsLogsOrBodies(t *testing.T) {
	t.Parallel()
	doc := contractDoc(t)
	for name, scheme := range doc.Components.SecuritySchemes {
		if in := scheme.Value.In; in != "cookie" && in != "header" {
			t.Errorf("security scheme %s carries the key in %s", name, in)
		}
	}
	for path, item := range doc.Paths.Map() {
		if !strings.HasPrefix(path, "/api/") {
			continue // no session there (the demo page's ?api= names the API, not a key)
		}
		for method, op := range item.Operations() {
			for _, p := range append(item.Parameters, op.Parameters...) {
				if p.Value.In == "query" {
					t.Errorf("%s %s takes the query parameter %s", method, path, p.Value.Name)
				}
			}
		}
	}

	app, logs := newLoggedApp(t, apitest.Options{})
	var keys []string
	var bodies []string
	for _, tr := range apitest.Transports(app) {
		user := "secret_" + tr.Name
		c := tr.New()
		send := func(method, path string, body any, status int) {
			res := c.Do(method, path, body).Want(t, status)
			bodies = append(bodies, string(res.Body))
			if loc := res.Header.Get("Location"); loc != "" {
				t.Errorf("%s %s redirects to %q", method, path, loc)
			}
			if k := c.SessionKey(); k != "" {
				keys = append(keys, k)
			}
		}
		creds := map[string]string{"username": user, "password": sweepPassword}
		send(http.MethodPost, "/api/session/visit", nil, http.StatusOK)
		send(http.MethodPost, "/api/auth/register", creds, http.StatusCreated)
		send(http.MethodPost, "/api/auth/login", creds, http.StatusOK)
		send(http.MethodPut, "/api/session/preferences", `{"theme":`, http.StatusBadRequest)
		send(http.MethodPut, "/api/session/preferences", map[string]string{"colour": "red"}, http.StatusBadRequest)
		send(http.MethodGet, "/api/nowhere", nil, http.StatusNotFound)
		send(http.MethodPost, "/api/auth/password", map[string]string{"old_password": "wrong", "new_password": "x"}, http.StatusBadRequest)
		send(http.MethodPost, "/api/auth/password", map[string]string{"old_password": sweepPassword, "new_password": "harbour-violet-summit"}, http.StatusNoContent)
		if app.Sessions.Indexed() {
			send(http.MethodGet, "/api/auth/sessions", nil, http.StatusOK)
		} else { // the file engine: no list of a user's sessions
			send(http.MethodGet, "/api/auth/sessions", nil, http.StatusNotImplemented)
		}
		send(http.MethodPost, "/api/auth/logout", nil, http.StatusNoContent)
		send(http.MethodGet, "/api/auth/me", nil, http.StatusUnauthorized)
	}
	if len(keys) < 6 {
		t.Fatalf("the flows gave %d keys, want at least 6", len(keys))
	}
	all := logs.String()
	for _, k := range keys {
		if strings.Contains(all, k) {
			t.Errorf("the log holds the session key %q", k)
		}
		for _, b := range bodies {
			if strings.Contains(b, k) {
				t.Errorf("a response body holds the session key %q: %s", k, b)
			}
		}
	}
}

// V2.2 (no account enumeration): an unknown user, a wrong password, an
// inactive account and a username no account can have get the same
// answer, byte for byte. (Their times are measured in internal/auth.)
func TestNoUserEnumerationByMessage(t *testing.T) {
	t.Parallel()
	app := apitest.New(t, apitest.Options{})
	c := app.Browser()
	for _, u := range []string{"present", "inactive"} {
		c.Post("/api/auth/register", map[string]string{"username": u, "password": sweepPassword}).Want(t, http.StatusCreated)
	}
	if _, err := app.DB.Exec("UPDATE auth_user SET is_active = false WHERE username = 'inactive'"); err != nil {
		t.Fatal(err)
	}
	var first *apitest.Response
	for _, creds := range []map[string]string{
		{"username": "absent", "password": sweepPassword},
		{"username": "present", "password": "wrong-" + sweepPassword},
		{"username": "inactive", "password": sweepPassword},
		{"username": "no such name!", "password": sweepPassword},
	} {
		res := app.Browser().Post("/api/auth/login", creds)
		res.WantError(t, http.StatusUnauthorized, "invalid_credentials")
		if first == nil {
			first = res
		} else if string(res.Body) != string(first.Body) {
			t.Errorf("login as %q: %s, but an unknown user gets %s", creds["username"], res.Body, first.Body)
		}
	}
}
