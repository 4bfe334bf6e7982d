package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/djsessions/api/internal/apitest"
	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/testdb"
)

// The origins of the browser tests: the SPA that CORS_ALLOWED_ORIGINS lists,
// a page on a sibling subdomain of it that is not listed, and another site.
const (
	spaOrigin     = "https://spa.example.com"
	siblingOrigin = "https://blog.example.com"
	evilOrigin    = "https://evil.example"
)

// browserFrom returns a browser client of app that has a stored session,
// whose later requests say they come from a page of origin, with
// Sec-Fetch-Site as a browser would set it ("" sends none, as browsers
// before 2023 and every non-browser client).
func browserFrom(t *testing.T, app *apitest.App, origin, fetchSite string) *apitest.Client {
	t.Helper()
	c := app.Browser()
	c.Post("/api/session/visit", nil).Want(t, http.StatusOK)
	if origin != "" {
		c.Header.Set("Origin", origin)
	}
	if fetchSite != "" {
		c.Header.Set("Sec-Fetch-Site", fetchSite)
	}
	return c
}

// stateChanges are requests that would each change a stored session.
var stateChanges = []struct {
	method, path string
	body         any
}{
	{http.MethodPost, "/api/session/visit", nil},
	{http.MethodPut, "/api/session/preferences", map[string]string{"theme": "dark"}},
	{http.MethodPut, "/api/session/expiry", map[string]int{"seconds": 60}},
	{http.MethodPost, "/api/session/cycle", nil},
	{http.MethodDelete, "/api/session", nil},
	{http.MethodPost, "/api/auth/logout", nil},
	{http.MethodPut, "/api/wizard/steps/1", map[string]string{"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+44 20 7946 0958"}},
}

func TestCrossOriginWrites(t *testing.T) {
	t.Parallel()
	app := apitest.New(t, apitest.Options{AllowedOrigins: []string{spaOrigin}})

	t.Run("403", func(t *testing.T) {
		refused := []struct{ name, origin, fetchSite string }{
			{"another site", evilOrigin, "cross-site"},
			{"a sibling subdomain not listed", siblingOrigin, "same-site"},
			{"another site, from a browser without Sec-Fetch-Site", evilOrigin, ""},
		}
		for _, from := range refused {
			for _, sc := range stateChanges {
				t.Run(from.name+"/"+sc.method+" "+sc.path+" changes nothing", func(t *testing.T) {
					c := browserFrom(t, app, from.origin, from.fetchSite)
					key := c.SessionKey()
					before, _ := app.Stored(t, key)
					count := app.CountStored(t)

					res := c.Do(sc.method, sc.path, sc.body)
					res.WantError(t, http.StatusForbidden, "cross_origin_forbidden")
					res.WantNoCookie(t)
					app.WantStoredUnchanged(t, key, before)
					if n := app.CountStored(t); n != count {
						t.Fatalf("%d sessions stored, %d before", n, count)
					}
					if c.SessionKey() != key {
						t.Fatal("the client's key changed")
					}
				})
			}
		}

		// Browsers send a form post, or a fetch of a "simple" content type,
		// to another site without a preflight: it never reaches a handler.
		for _, ct := range []string{"application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x"} {
			for _, path := range []string{"/api/session/visit", "/api/auth/login", "/api/wizard/submit"} {
				t.Run("a cross-site "+ct+" post to "+path, func(t *testing.T) {
					c := browserFrom(t, app, evilOrigin, "cross-site")
					c.Header.Set("Content-Type", ct)
					key := c.SessionKey()
					before, _ := app.Stored(t, key)
					c.Post(path, "username=ann&password=x").WantError(t, http.StatusForbidden, "cross_origin_forbidden")
					app.WantStoredUnchanged(t, key, before)
				})
			}
		}
	})

	t.Run("200", func(t *testing.T) {
		allowed := []struct{ name, origin, fetchSite string }{
			{"the same origin", app.URL, "same-origin"},
			{"the listed origin, cross-site", spaOrigin, "cross-site"},
			{"the listed origin, from a sibling subdomain", spaOrigin, "same-site"},
			{"a typed URL or a bookmark", "", "none"},
			{"the same origin, from a browser without Sec-Fetch-Site", app.URL, ""},
			{"curl or Postman with the cookie (neither header)", "", ""},
		}
		for _, from := range allowed {
			t.Run(from.name, func(t *testing.T) {
				c := browserFrom(t, app, from.origin, from.fetchSite)
				var got struct {
					Count int `json:"visit_count"`
				}
				c.Post("/api/session/visit", nil).Want(t, http.StatusOK).JSON(t, &got)
				if got.Count != 2 {
					t.Fatalf("visit_count %d, want 2: the write was not applied", got.Count)
				}
				c.Put("/api/session/preferences", map[string]string{"theme": "dark"}).Want(t, http.StatusOK)
				c.Delete("/api/session").Want(t, http.StatusNoContent).WantCookieDeleted(t)
			})
		}

		t.Run("a mobile client, which sends its key in a header and no cookie", func(t *testing.T) {
			m := app.Mobile()
			m.Post("/api/session/visit", nil).Want(t, http.StatusOK)
			m.Header.Set("Origin", evilOrigin) // a browser would have asked first, and CORS refused
			m.Header.Set("Sec-Fetch-Site", "cross-site")
			m.Post("/api/session/visit", nil).Want(t, http.StatusOK)
		})

		// Without a cookie the request carries no credential of the user's:
		// the page could as well be its author calling the API.
		t.Run("a cross-site request without a cookie, which is not checked", func(t *testing.T) {
			c := app.Browser()
			c.Header.Set("Origin", evilOrigin)
			c.Header.Set("Sec-Fetch-Site", "cross-site")
			c.Post("/api/session/visit", nil).Want(t, http.StatusOK)
		})
	})

	// Without a cookie a cross-site simple post is not refused as a forgery,
	// but an endpoint that reads a body takes only JSON, which no page can
	// send to another origin without a preflight.
	t.Run("415", func(t *testing.T) {
		for _, ct := range []string{"application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x"} {
			for _, path := range []string{"/api/auth/login", "/api/auth/register"} {
				t.Run(ct+" to "+path, func(t *testing.T) {
					c := app.Browser()
					c.Header.Set("Origin", evilOrigin)
					c.Header.Set("Sec-Fetch-Site", "cross-site")
					c.Header.Set("Content-Type", ct)
					count := app.CountStored(t)
					res := c.Post(path, `{"username":"mallory","password":"correct horse battery"}`)
					res.WantError(t, http.StatusUnsupportedMediaType, "unsupported_media_type")
					res.WantNoCookie(t)
					if n := app.CountStored(t); n != count {
						t.Fatalf("%d sessions stored, %d before", n, count)
					}
					var users int
					if err := app.DB.Get(&users, "SELECT count(*) FROM auth_user WHERE username = 'mallory'"); err != nil || users != 0 {
						t.Fatalf("%d users mallory (%v), want none", users, err)
					}
				})
			}
		}
	})
}

func TestCORS(t *testing.T) {
	t.Parallel()
	app := apitest.New(t, apitest.Options{DatabaseURL: testdb.SQLiteURL(t), AllowedOrigins: []string{spaOrigin, "http://localhost:5173"}})

	t.Run("the listed origin gets its origin back, with credentials", func(t *testing.T) {
		for _, origin := range []string{spaOrigin, "http://localhost:5173"} {
			c := app.Browser()
			c.Header.Set("Origin", origin)
			c.Header.Set("Sec-Fetch-Site", "cross-site")
			for _, res := range []*apitest.Response{
				c.Post("/api/session/visit", nil).Want(t, http.StatusOK),
				c.Get("/api/session").Want(t, http.StatusOK),
				c.Get("/healthz").Want(t, http.StatusOK),
			} {
				wantCORS(t, res, origin)
				if got := res.Header.Get("Access-Control-Expose-Headers"); got != "X-Session-Key, Retry-After, X-Request-ID" {
					t.Fatalf("Access-Control-Expose-Headers %q", got)
				}
			}
		}
	})

	t.Run("and can read the errors", func(t *testing.T) {
		c := app.Browser()
		c.Header.Set("Origin", spaOrigin)
		res := c.Get("/api/auth/me")
		res.WantError(t, http.StatusUnauthorized, "not_authenticated")
		wantCORS(t, res, spaOrigin)
		res = c.Get("/api/nope")
		res.WantError(t, http.StatusNotFound, "not_found")
		wantCORS(t, res, spaOrigin)
	})

	t.Run("an origin not listed gets no CORS header", func(t *testing.T) {
		for _, origin := range []string{evilOrigin, siblingOrigin, "https://spa.example.com.evil.example", "http://spa.example.com", "null"} {
			c := app.Browser()
			c.Header.Set("Origin", origin)
			wantNoCORS(t, c.Get("/api/session").Want(t, http.StatusOK))
			wantVaryOrigin(t, c.Get("/healthz").Want(t, http.StatusOK))
		}
	})

	t.Run("a request without Origin gets no CORS header, but Vary: Origin", func(t *testing.T) {
		res := app.Browser().Get("/api/session").Want(t, http.StatusOK)
		wantNoCORS(t, res)
		wantVaryOrigin(t, res)
	})

	t.Run("a preflight from the listed origin is answered", func(t *testing.T) {
		for path, methods := range map[string][]string{
			"/api/session/preferences":  {"GET", "PUT"},
			"/api/auth/login":           {"POST"},
			"/api/auth/sessions/abc123": {"DELETE"},
			"/api/session":              {"GET", "DELETE"},
		} {
			c := app.Browser()
			c.Header.Set("Origin", spaOrigin)
			c.Header.Set("Access-Control-Request-Method", methods[len(methods)-1])
			c.Header.Set("Access-Control-Request-Headers", "content-type,x-session-key")
			res := c.Do(http.MethodOptions, path, nil).Want(t, http.StatusNoContent)
			wantCORS(t, res, spaOrigin)
			allow := res.Header.Get("Access-Control-Allow-Methods")
			for _, m := range methods {
				if !strings.Contains(allow, m) {
					t.Errorf("OPTIONS %s: Access-Control-Allow-Methods %q, want %s in it", path, allow, m)
				}
			}
			if strings.Contains(allow, "OPTIONS") {
				t.Errorf("OPTIONS %s: Access-Control-Allow-Methods %q lists OPTIONS", path, allow)
			}
			if got := res.Header.Get("Access-Control-Allow-Headers"); got != "Content-Type, X-Session-Key, X-Request-ID" {
				t.Errorf("OPTIONS %s: Access-Control-Allow-Headers %q", path, got)
			}
			if got := res.Header.Get("Access-Control-Max-Age"); got != "7200" {
				t.Errorf("OPTIONS %s: Access-Control-Max-Age %q, want 7200", path, got)
			}
		}
	})

	t.Run("a preflight from another origin is not", func(t *testing.T) {
		c := app.Browser()
		c.Header.Set("Origin", evilOrigin)
		c.Header.Set("Access-Control-Request-Method", "PUT")
		wantNoCORS(t, c.Do(http.MethodOptions, "/api/session/preferences", nil).Want(t, http.StatusNoContent))
	})

	t.Run("a preflight to a path the API does not have is 404", func(t *testing.T) {
		c := app.Browser()
		c.Header.Set("Origin", spaOrigin)
		c.Header.Set("Access-Control-Request-Method", "POST")
		c.Do(http.MethodOptions, "/api/nope", nil).WantError(t, http.StatusNotFound, "not_found")
	})

	t.Run("with no origin listed, no response has a CORS header or varies by Origin", func(t *testing.T) {
		plain := apitest.New(t, apitest.Options{DatabaseURL: testdb.SQLiteURL(t)})
		c := plain.Browser()
		c.Header.Set("Origin", spaOrigin)
		res := c.Get("/api/session").Want(t, http.StatusOK)
		wantNoCORS(t, res)
		if strings.Contains(strings.Join(res.Header.Values("Vary"), ","), "Origin") {
			t.Fatalf("Vary %q", res.Header.Values("Vary"))
		}
		c.Header.Set("Access-Control-Request-Method", "PUT")
		wantNoCORS(t, c.Do(http.MethodOptions, "/api/session/preferences", nil).Want(t, http.StatusNoContent))
	})
}

func TestResponsesAreNotCached(t *testing.T) {
	t.Parallel()
	app := apitest.New(t, apitest.Options{DatabaseURL: testdb.SQLiteURL(t), AllowedOrigins: []string{spaOrigin}})
	c := app.Browser()
	responses := []*apitest.Response{
		c.Post("/api/session/visit", nil).Want(t, http.StatusOK),
		c.Get("/api/session").Want(t, http.StatusOK),
		c.Get("/api/auth/me").Want(t, http.StatusUnauthorized),
		c.Get("/api/nope").Want(t, http.StatusNotFound),
	}
	c.Header.Set("Origin", evilOrigin)
	c.Header.Set("Sec-Fetch-Site", "cross-site")
	responses = append(responses, c.Post("/api/session/visit", nil).Want(t, http.StatusForbidden))
	for _, res := range responses {
		if got := res.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s %s → %d: Cache-Control %q, want no-store", res.Request.Method, res.Request.URL.Path, res.StatusCode, got)
		}
	}
}

func TestHSTSWithSecureCookies(t *testing.T) {
	t.Parallel()
	secure := apitest.New(t, apitest.Options{DatabaseURL: testdb.SQLiteURL(t), Session: session.Options{CookieSecure: true}})
	for _, path := range []string{"/healthz", "/api/session", "/nope"} {
		res := secure.Browser().Get(path)
		if got := res.Header.Get("Strict-Transport-Security"); got != "max-age=31536000; includeSubDomains" {
			t.Errorf("GET %s with secure cookies: Strict-Transport-Security %q", path, got)
		}
	}

	plain := apitest.New(t, apitest.Options{DatabaseURL: testdb.SQLiteURL(t)})
	if got := plain.Browser().Get("/api/session").Header.Get("Strict-Transport-Security"); got != "" {
		t.Errorf("without secure cookies: Strict-Transport-Security %q, want none", got)
	}
}

func wantCORS(t *testing.T, res *apitest.Response, origin string) {
	t.Helper()
	name := res.Request.Method + " " + res.Request.URL.Path
	if got := res.Header.Get("Access-Control-Allow-Origin"); got != origin {
		t.Fatalf("%s: Access-Control-Allow-Origin %q, want %q (never *)", name, got, origin)
	}
	if got := res.Header.Get("Access-Control-Allow-Credentials"); got != "true" {
		t.Fatalf("%s: Access-Control-Allow-Credentials %q, want true", name, got)
	}
	wantVaryOrigin(t, res)
}

func wantNoCORS(t *testing.T, res *apitest.Response) {
	t.Helper()
	for name := range res.Header {
		if strings.HasPrefix(name, "Access-Control-") {
			t.Fatalf("%s %s: %s %q, want no CORS header", res.Request.Method, res.Request.URL.Path, name, res.Header.Get(name))
		}
	}
}

func wantVaryOrigin(t *testing.T, res *apitest.Response) {
	t.Helper()
	for _, v := range res.Header.Values("Vary") {
		for _, h := range strings.Split(v, ",") {
			if strings.TrimSpace(h) == "Origin" {
				return
			}
		}
	}
	t.Fatalf("%s %s: Vary %q, want Origin in it", res.Request.Method, res.Request.URL.Path, res.Header.Values("Vary"))
}
