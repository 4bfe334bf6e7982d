// Package apitest runs the real API, router and middleware included, over
// HTTP on a fresh database, and gives tests clients that behave like a
// browser (a cookie jar) or a mobile app (the X-Session-Key header). Every
// response a test receives is checked against openapi.yaml.
package apitest

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"

	api "github.com/djsessions/api"
	"github.com/djsessions/api/internal/auth"
	"github.com/djsessions/api/internal/cart"
	"github.com/djsessions/api/internal/metrics"
	"github.com/djsessions/api/internal/password"
	"github.com/djsessions/api/internal/server"
	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/sessionengine"
	"github.com/djsessions/api/internal/testdb"
	"github.com/djsessions/api/internal/testredis"
	"github.com/djsessions/api/internal/wizard"
)

// SecretKey is the SECRET_KEY the test API signs with: the one of
// DJANGO-VECTORS.md, so that values can be checked against real Django.
const SecretKey = "django-insecure-test-key-0123456789"

// PasswordIterations is the PBKDF2 cost of the test API: far below Django's,
// so that a login takes microseconds, not a second.
const PasswordIterations = 1000

// Options adjust the API under test.
type Options struct {
	DatabaseURL string // default: a fresh PostgreSQL schema
	// Engine is SESSION_ENGINE's short name. Default: APITEST_ENGINE, so
	// that the whole HTTP suite runs once per engine, else "db".
	Engine string
	// CacheURL and CachePrefix are SESSION_CACHE_URL (default the test
	// Redis, through a testredis.Proxy that StopSessionStore cuts) and
	// SESSION_CACHE_KEY_PREFIX (default one of the database's, so that apps
	// on one database share their cache, as processes of one deployment
	// do), for the cache engines. Apps on one database share their
	// SESSION_FILE_PATH too.
	CacheURL, CachePrefix string
	IdleTimeout           time.Duration        // SESSION_IDLE_TIMEOUT; 0: off
	Throttle              *auth.ThrottleLimits // nil: logins are not throttled
	TrustedProxies        []*net.IPNet
	AllowedOrigins        []string        // CORS_ALLOWED_ORIGINS
	Session               session.Options // Logger and Now are filled in; CookieSecure turns HSTS on, as in cmd/api
	RequestTimeout        time.Duration   // the deadline of each request's store calls; default server.DefaultRequestTimeout
	Now                   func() time.Time
	Logger                *slog.Logger // default: warnings and errors, to the test's log
	// CacheUsers puts an auth.UserCache, listening to PostgreSQL's
	// notifications, in front of the users, as cmd/api does on PostgreSQL.
	CacheUsers bool
	// PasswordIterations is PASSWORD_HASHER_ITERATIONS; default the cheap
	// PasswordIterations. A test of what the real work factor costs sets
	// password.DefaultIterations.
	PasswordIterations int
}

// App is a running API.
type App struct {
	URL      string
	DB       *sqlx.DB
	Engine   string // the session engine it runs
	Sessions *session.Manager
	Server   *httptest.Server
	t        testing.TB
	contract *contract
	registry *prometheus.Registry
	store    storeView
	settings sessionengine.Settings
	proxy    *testredis.Proxy // between the API and Redis, unless Options.CacheURL was given
}

// New starts the API for the duration of the test.
func New(t testing.TB, opts Options) *App {
	t.Helper()
	if opts.DatabaseURL == "" {
		opts.DatabaseURL = testdb.PostgresURL(t)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	db := testdb.Open(t, opts.DatabaseURL)
	so := opts.Session
	so.Logger, so.Now = logger, opts.Now
	registry := prometheus.NewRegistry()
	m := metrics.New(registry)
	opts.Engine = cmp.Or(opts.Engine, os.Getenv("APITEST_ENGINE"), "db")
	settings, proxy := engineSettings(t, opts, so)
	eng, err := sessionengine.New(settings, db, m)
	if err != nil {
		t.Fatalf("apitest: %v", err)
	}
	t.Cleanup(eng.Close)
	sessions := eng.Sessions
	var users auth.Users = auth.NewRepository(db)
	if opts.CacheUsers {
		cache := auth.NewUserCache(users, time.Minute)
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		if err := cache.Listen(ctx, opts.DatabaseURL, logger); err != nil {
			t.Fatalf("apitest: %v", err)
		}
		users = cache
	}
	e := server.New(server.Deps{
		Logger:   logger,
		Sessions: sessions,
		Auth: auth.NewService(users, auth.Config{
			Hasher:        password.NewHasher(cmp.Or(opts.PasswordIterations, PasswordIterations)),
			Secret:        SecretKey,
			RememberMeAge: 30 * 24 * time.Hour,
			IdleTimeout:   opts.IdleTimeout,
			Sessions:      sessions,
			Limiter:       limiter(db, opts.Throttle),
			Now:           opts.Now,
			Failures:      m,
		}),
		Wizard:         wizard.NewService(wizard.NewRepository(db), opts.Now),
		Cart:           cart.NewService(cart.NewRepository(db), opts.Now),
		TrustedProxies: opts.TrustedProxies,
		AllowedOrigins: opts.AllowedOrigins,
		HSTS:           so.CookieSecure,
		Metrics:        m,
		Checks:         append([]server.Check{{Name: "database", Func: db.PingContext}}, eng.Checks...),
		OpenAPI:        api.OpenAPI,
		Now:            opts.Now,
		RequestTimeout: opts.RequestTimeout,
	})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return &App{
		URL: srv.URL, DB: db, Engine: opts.Engine, Sessions: sessions, Server: srv,
		t: t, contract: loadContract(t), registry: registry, store: newStoreView(t, settings, db),
		settings: settings, proxy: proxy,
	}
}

// Browser returns a client with a cookie jar of its own, as a new browser.
func (a *App) Browser() *Client {
	jar, _ := cookiejar.New(nil) // never fails without options
	return &Client{app: a, http: &http.Client{Jar: jar, CheckRedirect: stay}, Header: http.Header{}}
}

// Jar returns the client's cookie jar (nil for a Mobile client), so that
// another client can share it, as a browser shares its cookies between the
// sites of one host.
func (c *Client) Jar() http.CookieJar { return c.http.Jar }

// Mobile returns a client without cookies that carries its session key in
// X-Session-Key, as the API asks mobile apps to: "new" until it has one,
// then whatever the last response said.
func (a *App) Mobile() *Client {
	c := &Client{app: a, http: &http.Client{CheckRedirect: stay}, Header: http.Header{}, mobile: true}
	c.Header.Set(session.HeaderKey, "new")
	return c
}

// stay keeps a client from following redirects: a test, and the contract
// check, see the redirect itself.
func stay(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Client sends requests to the App.
type Client struct {
	app    *App
	http   *http.Client
	Header http.Header // sent with every request
	mobile bool
}

// Response is a response with its body read.
type Response struct {
	*http.Response
	Body []byte
}

// Do sends a request. body may be nil, a string or []byte (sent as is), or
// any value (sent as JSON). A body is sent as application/json unless the
// client's Header says otherwise.
func (c *Client) Do(method, path string, body any) *Response {
	t := c.app.t
	t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			t.Fatalf("apitest: encoding the request body: %v", err)
		}
	}
	req, err := http.NewRequest(method, c.app.URL+path, bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("apitest: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.Header {
		req.Header[k] = v
	}
	res, err := c.http.Do(req)
	if err != nil {
		t.Fatalf("apitest: %s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("apitest: reading the response to %s %s: %v", method, path, err)
	}
	if c.mobile {
		if v, ok := res.Header[session.HeaderKey]; ok {
			c.Header.Set(session.HeaderKey, v[0])
		}
	}
	req.Body = io.NopCloser(bytes.NewReader(raw))
	c.app.contract.check(t, req, res, got)
	return &Response{Response: res, Body: got}
}

// Get, Post, Put and Delete are Do with that method.
func (c *Client) Get(path string) *Response { return c.Do(http.MethodGet, path, nil) }

// Post is Do with POST.
func (c *Client) Post(path string, body any) *Response { return c.Do(http.MethodPost, path, body) }

// Put is Do with PUT.
func (c *Client) Put(path string, body any) *Response { return c.Do(http.MethodPut, path, body) }

// Delete is Do with DELETE.
func (c *Client) Delete(path string) *Response { return c.Do(http.MethodDelete, path, nil) }

// SessionKey returns the key the client would send now: its X-Session-Key,
// or its session cookie.
func (c *Client) SessionKey() string {
	if c.mobile {
		return c.Header.Get(session.HeaderKey)
	}
	u, _ := http.NewRequest(http.MethodGet, c.app.URL, nil)
	for _, ck := range c.http.Jar.Cookies(u.URL) {
		if ck.Name == "sessionid" {
			return ck.Value
		}
	}
	return ""
}

// Want fails the test unless the response has status.
func (r *Response) Want(t testing.TB, status int) *Response {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d; body: %s", r.Request.Method, r.Request.URL.Path, r.StatusCode, status, r.Body)
	}
	return r
}

// WantError fails the test unless the response is the error envelope with
// status and code; it returns the envelope's fields.
func (r *Response) WantError(t testing.TB, status int, code string) map[string]string {
	t.Helper()
	r.Want(t, status)
	var env struct {
		Error struct {
			Code    string            `json:"code"`
			Message string            `json:"message"`
			Fields  map[string]string `json:"fields"`
		} `json:"error"`
	}
	r.JSON(t, &env)
	if env.Error.Code != code || env.Error.Message == "" {
		t.Fatalf("%s %s: error %q (%q), want code %q with a message", r.Request.Method, r.Request.URL.Path, env.Error.Code, env.Error.Message, code)
	}
	return env.Error.Fields
}

// JSON decodes the body into dst.
func (r *Response) JSON(t testing.TB, dst any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, dst); err != nil {
		t.Fatalf("%s %s: body is not the JSON expected: %v; body: %s", r.Request.Method, r.Request.URL.Path, err, r.Body)
	}
}

// SetCookie returns the Set-Cookie header the response sent for name, or "".
func (r *Response) SetCookie(name string) string {
	for _, v := range r.Header.Values("Set-Cookie") {
		if strings.HasPrefix(v, name+"=") {
			return v
		}
	}
	return ""
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func limiter(db *sqlx.DB, l *auth.ThrottleLimits) auth.Limiter {
	if l == nil {
		return nil
	}
	return auth.NewThrottle(db, *l)
}
