package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/djsessions/api/internal/apitest"
	"github.com/djsessions/api/internal/session"
)

// badKeys returns key values no server issued, made from victim, a key (or,
// with signed cookies, a signed session) that it did issue: forged,
// truncated, extended, tampered, oversized, foreign, or replayed after its
// age.
func badKeys(t *testing.T, victim string) []struct{ name, value string } {
	t.Helper()
	flip := func(s string, i int) string {
		c := byte('a')
		if s[i] == 'a' {
			c = 'b'
		}
		return s[:i] + string(c) + s[i+1:]
	}
	cookieSigner := session.NewSigner(session.SaltSignedCookies, apitest.SecretKey)
	login := []byte(`{"_auth_user_backend":"django.contrib.auth.backends.ModelBackend","_auth_user_id":"1"}`)
	keys := []struct{ name, value string }{
		{"forged", "w6m1ry5wsdu7lh4q0rw2nxo03t5yqdoy"},
		{"empty", ""},
		{"truncated by one character", victim[:len(victim)-1]},
		{"truncated to half", victim[:len(victim)/2]},
		{"one character more", victim + "a"},
		{"its first character changed", flip(victim, 0)},
		{"its last character changed", flip(victim, len(victim)-1)},
		{"its middle character changed", flip(victim, len(victim)/2)},
		{"in upper case", strings.ToUpper(victim)},
		{"8 KiB", strings.Repeat("a", 8<<10)},
		{"the key and 8 KiB more", victim + strings.Repeat("a", 8<<10)},
		{"100 KiB", strings.Repeat("a", 100<<10)},
		{"non-ASCII bytes", "\xff\xfe" + victim[2:]},
		{"SQL", "' OR '1'='1"},
		{"a path", "../../../../etc/passwd"},
		{"a glob", "*"},
		{"a login signed with another secret", session.NewSigner(session.SaltSignedCookies, "another secret").Sign(login, time.Now())},
		{"a login signed for the store, not for cookies", session.NewSigner(session.SaltStore, apitest.SecretKey).Sign(login, time.Now())},
	}
	if payload, _, err := cookieSigner.Unsign(victim); err == nil {
		// The victim's own signed session, signed again as if 30 days ago:
		// older than its age, it must not come back.
		keys = append(keys, struct{ name, value string }{"replayed after its age", cookieSigner.Sign(payload, time.Now().Add(-30*24*time.Hour))})
	}
	return keys
}

// A session key no server issued, in the cookie or in X-Session-Key, gets
// an empty session, never an error page; reading with it writes nothing to
// the store, and writing with it starts a new session under a new key,
// leaving the real one as it was. Every GET of /api is tried, so that a new
// endpoint is covered as soon as the contract has it.
func TestBadSessionKeysGetAnEmptySessionAndWriteNothing(t *testing.T) {
	t.Parallel()
	doc := contractDoc(t)
	var reads []string
	for _, op := range operations(doc) {
		if op.method == http.MethodGet && strings.HasPrefix(op.path, "/api/") && len(op.params) == 0 {
			reads = append(reads, op.path)
		}
	}
	for _, engine := range []string{"db", "cached_db", "signed_cookies"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			app := apitest.New(t, apitest.Options{Engine: engine})
			victim := app.Browser()
			victim.Post("/api/auth/register", map[string]string{"username": "victim", "password": sweepPassword}).Want(t, http.StatusCreated)
			victim.Post("/api/auth/login", map[string]string{"username": "victim", "password": sweepPassword}).Want(t, http.StatusOK)
			victim.Post("/api/cart/items", map[string]int{"product_id": 1}).Want(t, http.StatusOK)
			key := victim.SessionKey()

			for _, tr := range apitest.Transports(app) {
				for _, bad := range badKeys(t, key) {
					t.Run(tr.Name+"/"+bad.name, func(t *testing.T) {
						before := app.Snapshot(t)
						for _, path := range reads {
							res := withKey(tr, bad.value).Get(path)
							if res.StatusCode >= 500 {
								t.Fatalf("GET %s: %d %s", path, res.StatusCode, res.Body)
							}
						}
						wantAnonymous(t, tr, bad.value)
						app.WantUnchanged(t, before)

						rows := app.CountStored(t)
						c := withKey(tr, bad.value)
						res := c.Post("/api/session/visit", nil).Want(t, http.StatusOK)
						var visit struct {
							VisitCount int `json:"visit_count"`
						}
						res.JSON(t, &visit)
						if visit.VisitCount != 1 {
							t.Fatalf("visit_count %d: the session of a bad key was adopted", visit.VisitCount)
						}
						if got := issued(tr, res); got == "" || got == bad.value || got == key {
							t.Fatalf("issued key %.60q after a bad key %.60q, want a new one", got, bad.value)
						}
						if engine != "signed_cookies" && app.CountStored(t) != rows+1 {
							t.Fatalf("the store holds %d sessions after a new one, want %d", app.CountStored(t), rows+1)
						}
					})
				}
			}
			victim.Get("/api/auth/me").Want(t, http.StatusOK)
			if victim.SessionKey() != key {
				t.Fatal("the victim's key changed")
			}
		})
	}
}

// withKey returns a client of tr that presents value as its session key;
// tr.WithKey sends a cookie's value only if it is a valid cookie value.
func withKey(tr apitest.Transport, value string) *apitest.Client {
	c := tr.New()
	if tr.Mobile {
		c.Header.Set(session.HeaderKey, value)
	} else {
		c.Header.Set("Cookie", "sessionid="+value)
	}
	return c
}

// wantAnonymous fails the test unless the session of key, sent by tr, is
// empty and anonymous.
func wantAnonymous(t *testing.T, tr apitest.Transport, key string) {
	t.Helper()
	res := withKey(tr, key).Get("/api/auth/session").Want(t, http.StatusOK)
	var check map[string]any
	res.JSON(t, &check)
	if len(check) != 1 || check["authenticated"] != false {
		t.Fatalf("GET /api/auth/session: %s, want anonymous", res.Body)
	}
	var state struct {
		Keys []string `json:"keys"`
	}
	withKey(tr, key).Get("/api/session").Want(t, http.StatusOK).JSON(t, &state)
	if len(state.Keys) != 0 {
		t.Fatalf("GET /api/session: keys %v, want none", state.Keys)
	}
	withKey(tr, key).Get("/api/auth/me").WantError(t, http.StatusUnauthorized, "not_authenticated")
}

// issued returns the key res gave its client, by tr.
func issued(tr apitest.Transport, res *apitest.Response) string {
	if tr.Mobile {
		return res.Header.Get(session.HeaderKey)
	}
	ck, err := http.ParseSetCookie(res.SetCookie("sessionid"))
	if err != nil {
		return ""
	}
	return ck.Value
}
