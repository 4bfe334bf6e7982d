package apitest

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/djsessions/api/internal/session"
)

// Clock is a time source for Options.Now that stands still, so that expiry
// arithmetic is exact, until the test moves it.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock stopped at the current second. The stores judge
// expiry by the wall clock, so it starts at the real time.
func NewClock() *Clock { return &Clock{now: time.Now().UTC().Truncate(time.Second)} }

// Now returns the Clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the Clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// WantNoCookie fails the test if the response sets any cookie.
func (r *Response) WantNoCookie(t testing.TB) {
	t.Helper()
	if v := r.Header.Values("Set-Cookie"); len(v) != 0 {
		t.Fatalf("%s %s: Set-Cookie %q, want none", r.Request.Method, r.Request.URL.Path, v)
	}
}

// SessionCookie returns the session cookie the response set, failing the
// test if it set none.
func (r *Response) SessionCookie(t testing.TB) *http.Cookie {
	t.Helper()
	raw := r.SetCookie("sessionid")
	if raw == "" {
		t.Fatalf("%s %s: no session cookie set", r.Request.Method, r.Request.URL.Path)
	}
	ck, err := http.ParseSetCookie(raw)
	if err != nil {
		t.Fatalf("Set-Cookie %q: %v", raw, err)
	}
	return ck
}

// WantCookieDeleted fails the test unless the response deletes the session
// cookie (Max-Age=0) and, as to any cookie client, sends no X-Session-Key.
func (r *Response) WantCookieDeleted(t testing.TB) {
	t.Helper()
	raw := r.SetCookie("sessionid")
	if raw == "" || !strings.HasPrefix(raw, "sessionid=;") || !strings.Contains(raw, "Max-Age=0") {
		t.Fatalf("%s %s: Set-Cookie %q, want the session cookie deleted with Max-Age=0", r.Request.Method, r.Request.URL.Path, raw)
	}
	if v := r.Header.Values(session.HeaderKey); len(v) != 0 {
		t.Fatalf("%s %s: X-Session-Key %q sent to a cookie client", r.Request.Method, r.Request.URL.Path, v)
	}
}
