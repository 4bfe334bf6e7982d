package faults_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// client is a browser (a cookie jar of its own) that, unlike apitest's,
// reports a failed request as an error instead of failing the test, so that
// load goroutines can count failures and carry on.
type client struct {
	base   string // where requests go; a test may point it at another process
	http   *http.Client
	header http.Header // sent with every request

	// bases, if set, are where requests go in turn, each to the next: a
	// load balancer in front of several processes.
	bases []string
	sent  *atomic.Uint64
}

// newClient returns a browser of the API at base. Requests that get no
// answer within 30 seconds fail: an answer that slow counts as a hang.
func newClient(base string) *client {
	jar, _ := cookiejar.New(nil) // never fails without options
	return &client{base: base, http: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

// oneShot makes c open a new connection for each request, so that a
// server shutting down either serves a request or refuses its connection,
// and never closes an idle one under a request the client is sending.
func (c *client) oneShot() *client {
	c.http.Transport = &http.Transport{DisableKeepAlives: true}
	return c
}

// roundRobin returns a browser that sends each request to the next of
// bases.
func roundRobin(bases ...string) *client {
	c := newClient(bases[0])
	c.bases, c.sent = bases, new(atomic.Uint64)
	return c
}

// withKey returns a client without cookies that presents key in
// X-Session-Key, as a mobile app does, or as someone replaying a key they
// saw.
func withKey(base, key string) *client {
	return &client{base: base, http: &http.Client{Timeout: 30 * time.Second}, header: http.Header{"X-Session-Key": {key}}}
}

// via returns a client that shares c's cookies and sends its requests to
// base: the same browser, reaching another process of the deployment.
func (c *client) via(base string) *client {
	return &client{base: base, http: c.http, header: c.header}
}

// answer is a response with its body read; status 0 and err when there was
// none.
type answer struct {
	status int
	body   []byte
	err    error
}

func (a answer) String() string {
	if a.err != nil {
		return "no answer: " + a.err.Error()
	}
	return fmt.Sprintf("%d %s", a.status, bytes.TrimSpace(a.body))
}

// code is the error code of an error envelope, or "".
func (a answer) code() string {
	var env struct {
		Error struct{ Code string } `json:"error"`
	}
	json.Unmarshal(a.body, &env)
	return env.Error.Code
}

// do sends a request; body, if not nil, is sent as JSON.
func (c *client) do(method, path string, body any) answer {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return answer{err: err}
		}
		r = bytes.NewReader(b)
	}
	base := c.base
	if len(c.bases) > 0 {
		base = c.bases[(c.sent.Add(1)-1)%uint64(len(c.bases))]
	}
	req, err := http.NewRequest(method, base+path, r)
	if err != nil {
		return answer{err: err}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	res, err := c.http.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return answer{status: res.StatusCode, body: b, err: err}
}

func (c *client) get(path string) answer            { return c.do(http.MethodGet, path, nil) }
func (c *client) post(path string, body any) answer { return c.do(http.MethodPost, path, body) }
func (c *client) delete(path string) answer         { return c.do(http.MethodDelete, path, nil) }

// must fails the test unless a is an answer with status.
func must(t testing.TB, a answer, status int) answer {
	t.Helper()
	if a.err != nil || a.status != status {
		t.Fatalf("got %s, want %d", a, status)
	}
	return a
}

// cartItems returns the number of items in the client's cart (the sum of
// its quantities), failing the test if the cart cannot be read.
func (c *client) cartItems(t testing.TB) int {
	t.Helper()
	var cart struct {
		TotalItems int `json:"total_items"`
	}
	if err := json.Unmarshal(must(t, c.get("/api/cart"), http.StatusOK).body, &cart); err != nil {
		t.Fatalf("GET /api/cart: %v", err)
	}
	return cart.TotalItems
}

// signUp registers username and logs the client in as it.
func (c *client) signUp(t testing.TB, username string) {
	t.Helper()
	creds := map[string]any{"username": username, "password": "correct horse battery"}
	must(t, c.post("/api/auth/register", creds), http.StatusCreated)
	must(t, c.post("/api/auth/login", creds), http.StatusOK)
}

// withParams returns the URL raw with query parameters set, as pairs.
func withParams(t testing.TB, raw string, kv ...string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// withHost returns the URL raw aimed at host (host:port) instead.
func withHost(t testing.TB, raw, host string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = host
	return u.String()
}

// hostOf returns the host:port of the URL raw.
func hostOf(t testing.TB, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// uniqueName returns a name for the test's own things (an application_name,
// a username): prefix and random letters, distinct across tests and runs.
func uniqueName(prefix string) string {
	return prefix + "_" + strings.ToLower(rand.Text()[:12])
}
