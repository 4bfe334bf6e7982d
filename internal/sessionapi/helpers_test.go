package sessionapi_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/djsessions/api/internal/apitest"
	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/testdb"
)

// defaultAge is SESSION_COOKIE_AGE's default, two weeks, in seconds.
const defaultAge = 1209600

// The response bodies, as the contract spells them.
type (
	info struct {
		ExpiryAge            int       `json:"expiry_age"`
		ExpiryDate           time.Time `json:"expiry_date"`
		ExpireAtBrowserClose bool      `json:"expire_at_browser_close"`
	}
	visit struct {
		Count   int       `json:"visit_count"`
		Created time.Time `json:"session_created"`
	}
	shown struct {
		Keys    []string `json:"keys"`
		Session info     `json:"session"`
	}
)

// eachDB runs f on a fresh API on each supported database, with the
// production defaults and a clock of its own that starts now, to the second.
func eachDB(t *testing.T, f func(t *testing.T, app *apitest.App, clk *apitest.Clock)) {
	t.Helper()
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		clk := apitest.NewClock()
		app := apitest.New(t, apitest.Options{
			DatabaseURL: newURL(t),
			Now:         clk.Now,
		})
		f(t, app, clk)
	})
}

func constant(key string) func(*testing.T) string {
	return func(*testing.T) string { return key }
}

func decode[T any](t *testing.T, res *apitest.Response) T {
	t.Helper()
	var v T
	res.JSON(t, &v)
	return v
}

func sameInfo(a, b info) bool {
	return a.ExpiryAge == b.ExpiryAge && a.ExpiryDate.Equal(b.ExpiryDate) && a.ExpireAtBrowserClose == b.ExpireAtBrowserClose
}

func sameShown(a, b shown) bool {
	return a.Keys != nil && slices.Equal(a.Keys, b.Keys) && sameInfo(a.Session, b.Session)
}

// wantCookieAge checks that the session cookie lasts as long as the
// session: as the browser session when it expires at browser close.
func wantCookieAge(t *testing.T, res *apitest.Response, want info, now time.Time) {
	t.Helper()
	ck := res.SessionCookie(t)
	raw := res.SetCookie("sessionid")
	if want.ExpireAtBrowserClose {
		if strings.Contains(raw, "Max-Age") || strings.Contains(raw, "Expires") {
			t.Fatalf("Set-Cookie %q: a browser-session cookie has neither Max-Age nor Expires", raw)
		}
		return
	}
	if ck.MaxAge != want.ExpiryAge || !ck.Expires.Equal(now.Add(time.Duration(want.ExpiryAge)*time.Second)) {
		t.Fatalf("Set-Cookie %q: want Max-Age=%d and Expires to match", raw, want.ExpiryAge)
	}
}

// wantIssuedKey returns the new key res gives a header client.
func wantIssuedKey(t *testing.T, res *apitest.Response) string {
	t.Helper()
	key := res.Header.Get(session.HeaderKey)
	if !session.ValidKey(key) {
		t.Fatalf("X-Session-Key %q, want a new session key", key)
	}
	return key
}

// wantKeyHidden checks that a cookie client's keys are nowhere but in its
// cookie.
func wantKeyHidden(t *testing.T, res *apitest.Response, keys ...string) {
	t.Helper()
	if v := res.Header.Values(session.HeaderKey); len(v) != 0 {
		t.Fatalf("%s %s: X-Session-Key %q sent to a cookie client", res.Request.Method, res.Request.URL.Path, v)
	}
	for _, k := range keys {
		if k != "" && bytes.Contains(res.Body, []byte(k)) {
			t.Fatalf("%s %s: the session key is in the body: %s", res.Request.Method, res.Request.URL.Path, res.Body)
		}
	}
}

func wantVaryCookie(t *testing.T, res *apitest.Response) {
	t.Helper()
	for _, v := range res.Header.Values("Vary") {
		for _, f := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), "Cookie") {
				return
			}
		}
	}
	t.Fatalf("%s %s: Vary %q, want Cookie in it", res.Request.Method, res.Request.URL.Path, res.Header.Values("Vary"))
}

func wantContentTypeJSON(t *testing.T, res *apitest.Response) {
	t.Helper()
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q, want application/json", ct)
	}
}

// wantFields checks the fields of an error: field among them, or none at all
// when field is "".
func wantFields(t *testing.T, fields map[string]string, field string) {
	t.Helper()
	if field == "" && len(fields) != 0 {
		t.Fatalf("fields %v, want none", fields)
	}
	if field != "" && fields[field] == "" {
		t.Fatalf("fields %v, want %q explained", fields, field)
	}
}
