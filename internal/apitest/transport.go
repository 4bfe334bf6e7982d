package apitest

import (
	"strings"
	"testing"

	"github.com/djsessions/api/internal/session"
)

// Transport is one way of carrying the session key: in the session cookie,
// as a browser does, or in X-Session-Key, as a mobile app does. A test of
// something that must hold for both runs once per Transport.
type Transport struct {
	Name   string // "cookie" or "header", for subtest names
	Mobile bool   // the key travels in X-Session-Key
	app    *App
}

// Transports returns the cookie Transport, then the header one.
func Transports(app *App) []Transport {
	return []Transport{
		{Name: "cookie", app: app},
		{Name: "header", Mobile: true, app: app},
	}
}

// New returns a new client that carries its key this way.
func (tr Transport) New() *Client {
	if tr.Mobile {
		return tr.app.Mobile()
	}
	return tr.app.Browser()
}

// WithKey returns a new client that presents key. A cookie client sends it
// in a fixed Cookie header, so it is good for one request only: after a
// response that sets the cookie, its jar would send a second one.
func (tr Transport) WithKey(key string) *Client {
	cl := tr.New()
	if tr.Mobile {
		cl.Header.Set(session.HeaderKey, key)
	} else {
		cl.Header.Set("Cookie", "sessionid="+key)
	}
	return cl
}

// WantIssued fails the test unless res gives the client key, its new
// session key, this way and never the other; a cookie client's key must not
// be in the body either.
func (tr Transport) WantIssued(t testing.TB, res *Response, key string) {
	t.Helper()
	if tr.Mobile {
		res.WantNoCookie(t)
		if got := res.Header.Get(session.HeaderKey); got != key {
			t.Fatalf("X-Session-Key %q, want the new key %q", got, key)
		}
		return
	}
	if got := res.SessionCookie(t).Value; got != key {
		t.Fatalf("the cookie holds %q, want the new key %q", got, key)
	}
	if v := res.Header.Values(session.HeaderKey); len(v) != 0 {
		t.Fatalf("X-Session-Key %q sent to a cookie client", v)
	}
	if strings.Contains(string(res.Body), key) {
		t.Fatalf("the session key is in the body: %s", res.Body)
	}
}

// WantForgotten fails the test unless res tells the client to drop its key:
// the cookie deleted, or X-Session-Key present and empty.
func (tr Transport) WantForgotten(t testing.TB, res *Response) {
	t.Helper()
	if !tr.Mobile {
		res.WantCookieDeleted(t)
		return
	}
	res.WantNoCookie(t)
	if v, ok := res.Header[session.HeaderKey]; !ok || v[0] != "" {
		t.Fatalf("X-Session-Key %q, want present and empty", v)
	}
}
