package djangointerop

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/djsessions/api/internal/apitest"
)

// browser is one person's browser visiting both the API and the Django
// site. Both are on 127.0.0.1, and cookies belong to a host whatever its
// port, so the two share the browser's session cookie as two apps behind
// one domain do.
type browser struct {
	API    *apitest.Client
	django *http.Client
	site   *site
}

// Browser returns a new browser, with an empty cookie jar.
func (s *side) Browser() *browser {
	api := s.API.Browser()
	return &browser{API: api, django: &http.Client{Jar: api.Jar()}, site: s.Django}
}

// BrowserWithKey returns a new browser whose session cookie is key: a copy
// of a cookie kept (or stolen) from another browser.
func (s *side) BrowserWithKey(t *testing.T, key string) *browser {
	t.Helper()
	b := s.Browser()
	setKey(t, s.API, b.API, key)
	return b
}

// setKey puts key in c's cookie jar as the session cookie of app's host.
func setKey(t *testing.T, app *apitest.App, c *apitest.Client, key string) {
	t.Helper()
	u, err := url.Parse(app.URL)
	if err != nil {
		t.Fatal(err)
	}
	c.Jar().SetCookies(u, []*http.Cookie{{Name: "sessionid", Value: key, Path: "/"}})
}

// Key returns the browser's session cookie, "" if it has none.
func (b *browser) Key() string { return b.API.SessionKey() }

// djangoResponse is a response of the Django site, its body read.
type djangoResponse struct {
	*http.Response
	Body []byte
}

// Django sends a request to the Django site; body, if not nil, is sent as
// JSON.
func (b *browser) Django(t *testing.T, method, path string, body any) *djangoResponse {
	t.Helper()
	var r io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, b.site.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := b.django.Do(req)
	if err != nil {
		t.Fatalf("Django: %s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("Django: reading the response to %s %s: %v", method, path, err)
	}
	return &djangoResponse{Response: res, Body: raw}
}

// Want fails the test unless the response has status, and decodes its body
// into dst if dst is not nil.
func (r *djangoResponse) Want(t *testing.T, status int, dst any) {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("Django: %s %s: status %d, want %d; body: %s", r.Request.Method, r.Request.URL.Path, r.StatusCode, status, r.Body)
	}
	if dst != nil {
		if err := json.Unmarshal(r.Body, dst); err != nil {
			t.Fatalf("Django: %s %s: %v; body: %s", r.Request.Method, r.Request.URL.Path, err, r.Body)
		}
	}
}

// djangoUser is request.user as the Django site's whoami reports it.
type djangoUser struct {
	Authenticated bool   `json:"authenticated"`
	ID            int64  `json:"id"`
	Username      string `json:"username"`
}

// DjangoUser returns request.user on the Django site.
func (b *browser) DjangoUser(t *testing.T) djangoUser {
	t.Helper()
	var u djangoUser
	b.Django(t, http.MethodGet, "/whoami", nil).Want(t, http.StatusOK, &u)
	return u
}

// DjangoLogin logs in on the Django site (django.contrib.auth.login).
func (b *browser) DjangoLogin(t *testing.T, username, password string) {
	t.Helper()
	b.Django(t, http.MethodPost, "/login", map[string]string{"username": username, "password": password}).Want(t, http.StatusOK, nil)
}

// apiUser is GET /api/auth/session's answer, as far as the tests look.
type apiUser struct {
	Authenticated bool `json:"authenticated"`
	User          struct {
		ID       int64  `json:"id"`
		Username string `json:"username"`
	} `json:"user"`
}

// APIUser returns who the API thinks is logged in.
func (b *browser) APIUser(t *testing.T) apiUser {
	t.Helper()
	var u apiUser
	b.API.Get("/api/auth/session").Want(t, http.StatusOK).JSON(t, &u)
	return u
}

// APILogin logs in on the API, remember_me as given.
func (b *browser) APILogin(t *testing.T, username, password string, remember bool) {
	t.Helper()
	b.API.Post("/api/auth/login", map[string]any{"username": username, "password": password, "remember_me": remember}).Want(t, http.StatusOK)
}

// Register creates a user on the API (POST /api/auth/register).
func (s *side) Register(t *testing.T, username, password string) int64 {
	t.Helper()
	var u struct {
		ID int64 `json:"id"`
	}
	s.API.Browser().Post("/api/auth/register", map[string]string{"username": username, "password": password}).
		Want(t, http.StatusCreated).JSON(t, &u)
	return u.ID
}

// CreateUser creates a user with Django's User.objects.create_user, with
// the email address username@example.com.
func (s *side) CreateUser(t *testing.T, username, password string) int64 {
	t.Helper()
	var u struct {
		ID int64 `json:"id"`
	}
	b := s.Browser()
	b.Django(t, http.MethodPost, "/users", map[string]string{"username": username, "password": password, "email": username + "@example.com"}).
		Want(t, http.StatusCreated, &u)
	return u.ID
}
