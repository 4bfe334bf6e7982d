package demo_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/djsessions/api/internal/apitest"
	"github.com/djsessions/api/internal/demo"
	"github.com/djsessions/api/internal/testdb"
)

// localRef finds what an HTML page or a module loads: src and href
// attributes, and the modules of import statements.
var localRef = regexp.MustCompile(`(?:src|href)="([^"]*)"|from "([^"]*)"`)

func TestDemoLoadsOnlyItsOwnFiles(t *testing.T) {
	t.Parallel()
	app := apitest.New(t, apitest.Options{DatabaseURL: testdb.SQLiteURL(t)})
	c := app.Browser()

	page := c.Get("/demo/").Want(t, http.StatusOK)
	if ct := page.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Fatalf("Content-Type %q, want text/html; charset=utf-8", ct)
	}
	// Files are found from the page and from each module in turn, so that
	// a module imported but not embedded fails here, not in a browser.
	seen, queue := map[string]bool{}, []string{"/demo/"}
	for len(queue) > 0 {
		from := queue[0]
		queue = queue[1:]
		body := c.Get(from).Want(t, http.StatusOK).Body
		for _, m := range localRef.FindAllStringSubmatch(string(body), -1) {
			ref := m[1] + m[2]
			if ref == "data:," {
				continue // the page's empty icon, so that browsers ask for none
			}
			if !regexp.MustCompile(`^(\./)?[a-z]+\.(js|css)$`).MatchString(ref) {
				t.Errorf("%s refers to %q, not a file beside it", from, ref)
				continue
			}
			if url := "/demo/" + strings.TrimPrefix(ref, "./"); !seen[url] {
				seen[url] = true
				queue = append(queue, url)
			}
		}
	}
	for _, want := range []string{"/demo/app.js", "/demo/api.js", "/demo/style.css", "/demo/wizard.js"} {
		if !seen[want] {
			t.Errorf("the page does not load %s; it loads %v", want, seen)
		}
	}
}

func TestDemoAssets(t *testing.T) {
	t.Parallel()
	app := apitest.New(t, apitest.Options{DatabaseURL: testdb.SQLiteURL(t)})

	t.Run("200", func(t *testing.T) {
		for path, ct := range map[string]string{
			"/demo/":           "text/html; charset=utf-8",
			"/demo/index.html": "text/html; charset=utf-8",
			"/demo/app.js":     "text/javascript; charset=utf-8",
			"/demo/style.css":  "text/css; charset=utf-8",
		} {
			t.Run(path+" is served as "+ct+", without touching the session", func(t *testing.T) {
				res := app.Browser().Get(path).Want(t, http.StatusOK)
				if got := res.Header.Get("Content-Type"); got != ct {
					t.Fatalf("Content-Type %q, want %q", got, ct)
				}
				if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Cache-Control") != "no-cache" {
					t.Fatalf("X-Content-Type-Options %q, Cache-Control %q; want nosniff and no-cache",
						res.Header.Get("X-Content-Type-Options"), res.Header.Get("Cache-Control"))
				}
				if v := res.Header.Values("Set-Cookie"); len(v) != 0 {
					t.Fatalf("Set-Cookie %q", v)
				}
			})
		}
	})

	t.Run("301", func(t *testing.T) {
		t.Run("/demo goes to /demo/, with its query", func(t *testing.T) {
			res := app.Browser().Get("/demo?api=http://127.0.0.1:8000").Want(t, http.StatusMovedPermanently)
			if loc := res.Header.Get("Location"); loc != "/demo/?api=http://127.0.0.1:8000" {
				t.Fatalf("Location %q", loc)
			}
		})
	})

	t.Run("304", func(t *testing.T) {
		t.Run("a file is not sent again while the browser's copy is current", func(t *testing.T) {
			c := app.Browser()
			etag := c.Get("/demo/app.js").Want(t, http.StatusOK).Header.Get("ETag")
			c.Header.Set("If-None-Match", etag)
			c.Get("/demo/app.js").Want(t, http.StatusNotModified)
		})
	})

	t.Run("404", func(t *testing.T) {
		for _, path := range []string{"/demo/nope.js", "/demo/..%2fdemo.go", "/demo/static/index.html"} {
			t.Run(path+" is not found", func(t *testing.T) {
				app.Browser().Get(path).WantError(t, http.StatusNotFound, "not_found")
			})
		}
	})
}

// The page the API serves may call only the API; a copy served elsewhere
// names the API it may call.
func TestDemoPolicyLimitsWhereThePageConnects(t *testing.T) {
	t.Parallel()
	app := apitest.New(t, apitest.Options{DatabaseURL: testdb.SQLiteURL(t)})
	csp := app.Browser().Get("/demo/").Want(t, http.StatusOK).Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self';", "connect-src 'self';", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}

	e := echo.New()
	demo.NewHandler("http://127.0.0.1:8000").Register(e)
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/demo/", nil))
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self' http://127.0.0.1:8000;") {
		t.Errorf("a copy for http://127.0.0.1:8000: Content-Security-Policy %q", csp)
	}
}
