package auth_test

import (
	"strings"
	"testing"

	"github.com/djsessions/api/internal/apitest"
	"github.com/djsessions/api/internal/session"
)

// client is one way of carrying the session key.
type client struct {
	name   string
	mobile bool
	new    func() *apitest.Client
}

func clients(app *apitest.App) []client {
	return []client{
		{name: "cookie", new: app.Browser},
		{name: "header", mobile: true, new: app.Mobile},
	}
}

// withKey returns a new client that presents key, good for one request: a
// cookie client sends it in a fixed Cookie header, which its jar would
// double after a response that sets the cookie.
func (c client) withKey(key string) *apitest.Client {
	cl := c.new()
	if c.mobile {
		cl.Header.Set(session.HeaderKey, key)
	} else {
		cl.Header.Set("Cookie", "sessionid="+key)
	}
	return cl
}

// wantIssued checks that res gave the client its new key the way the client
// carries it, and never the other way.
func (c client) wantIssued(t *testing.T, res *apitest.Response, key string) {
	t.Helper()
	if c.mobile {
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

// wantForgotten checks that res tells the client to drop its key.
func (c client) wantForgotten(t *testing.T, res *apitest.Response) {
	t.Helper()
	if !c.mobile {
		res.WantCookieDeleted(t)
		return
	}
	res.WantNoCookie(t)
	if v, ok := res.Header[session.HeaderKey]; !ok || v[0] != "" {
		t.Fatalf("X-Session-Key %q, want present and empty", v)
	}
}

// wantNoKeyChange checks that res neither issues nor forgets a key.
func wantNoKeyChange(t *testing.T, res *apitest.Response) {
	t.Helper()
	res.WantNoCookie(t)
	if v := res.Header.Values(session.HeaderKey); len(v) != 0 {
		t.Fatalf("%s %s: X-Session-Key %q, want none", res.Request.Method, res.Request.URL.Path, v)
	}
}
