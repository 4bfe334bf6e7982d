package docs_test

import (
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/djsessions/api/internal/apitest"
	"github.com/djsessions/api/internal/testdb"
)

// attrURL finds the URLs an HTML page or a script loads.
var attrURL = regexp.MustCompile(`(?:src|href|url)\s*[=:]\s*["']([^"']*)["']`)

func TestDocsPageLoadsOnlyWhatThisServerServes(t *testing.T) {
	t.Parallel()
	app := apitest.New(t, apitest.Options{DatabaseURL: testdb.SQLiteURL(t)})
	c := app.Browser()

	page := c.Get("/docs").Want(t, http.StatusOK)
	if ct := page.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Fatalf("Content-Type %q, want text/html; charset=utf-8", ct)
	}
	if csp := page.Header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'self';") {
		t.Fatalf("Content-Security-Policy %q, want default-src 'self' first", csp)
	}
	refs := attrURL.FindAllStringSubmatch(string(page.Body), -1)
	if len(refs) < 3 {
		t.Fatalf("the page loads %d files, want at least the bundle, its stylesheet and init.js:\n%s", len(refs), page.Body)
	}
	for _, ref := range refs {
		url := ref[1]
		if !strings.HasPrefix(url, "/") || strings.HasPrefix(url, "//") {
			t.Errorf("the page refers to %q, which is not a path on this server", url)
			continue
		}
		if url == "/openapi.yaml" {
			continue // the fallback link of <noscript>
		}
		res := c.Get(url).Want(t, http.StatusOK)
		if len(res.Body) == 0 {
			t.Errorf("%s is empty", url)
		}
		if url == "/docs/init.js" {
			wantInit(t, string(res.Body))
		}
	}
}

// wantInit checks that Swagger UI starts on this server's contract and is
// told not to call swagger.io's validator, its default.
func wantInit(t *testing.T, js string) {
	t.Helper()
	for _, ref := range attrURL.FindAllStringSubmatch(js, -1) {
		if ref[1] != "/openapi.yaml" {
			t.Errorf("init.js loads %q; want only /openapi.yaml", ref[1])
		}
	}
	if !strings.Contains(js, `url: "/openapi.yaml"`) {
		t.Errorf("init.js does not load /openapi.yaml:\n%s", js)
	}
	if !strings.Contains(js, "validatorUrl: null") {
		t.Errorf("init.js leaves Swagger UI's validator on, which sends the contract to swagger.io:\n%s", js)
	}
}

func TestDocsAssets(t *testing.T) {
	t.Parallel()
	app := apitest.New(t, apitest.Options{DatabaseURL: testdb.SQLiteURL(t)})

	t.Run("200", func(t *testing.T) {
		for file, ct := range map[string]string{
			"swagger-ui-bundle.js": "text/javascript; charset=utf-8",
			"init.js":              "text/javascript; charset=utf-8",
			"swagger-ui.css":       "text/css; charset=utf-8",
			"favicon-32x32.png":    "image/png",
			"index.html":           "text/html; charset=utf-8",
		} {
			t.Run(file+" is served as "+ct+", without touching the session", func(t *testing.T) {
				res := app.Browser().Get("/docs/"+file).Want(t, http.StatusOK)
				if got := res.Header.Get("Content-Type"); got != ct {
					t.Fatalf("Content-Type %q, want %q", got, ct)
				}
				if res.Header.Get("X-Content-Type-Options") != "nosniff" {
					t.Fatal("no X-Content-Type-Options: nosniff")
				}
				if v := res.Header.Values("Set-Cookie"); len(v) != 0 {
					t.Fatalf("Set-Cookie %q", v)
				}
				if v := res.Header.Values("Vary"); len(v) != 0 {
					t.Fatalf("Vary %q: the docs do not depend on the session", v)
				}
			})
		}
	})

	t.Run("304", func(t *testing.T) {
		t.Run("a file is not sent again while the browser's copy is current", func(t *testing.T) {
			c := app.Browser()
			first := c.Get("/docs/swagger-ui.css").Want(t, http.StatusOK)
			etag := first.Header.Get("ETag")
			if etag == "" || first.Header.Get("Cache-Control") != "no-cache" {
				t.Fatalf("ETag %q, Cache-Control %q; want an ETag and no-cache", etag, first.Header.Get("Cache-Control"))
			}
			c.Header.Set("If-None-Match", etag)
			again := c.Get("/docs/swagger-ui.css").Want(t, http.StatusNotModified)
			if len(again.Body) != 0 || again.Header.Get("ETag") != etag {
				t.Fatalf("304 with %d bytes and ETag %q", len(again.Body), again.Header.Get("ETag"))
			}
			c.Header.Set("If-None-Match", `"stale"`)
			c.Get("/docs/swagger-ui.css").Want(t, http.StatusOK)
		})
	})

	t.Run("404", func(t *testing.T) {
		for _, path := range []string{"/docs/nope.js", "/docs/swagger-ui-bundle.js.map", "/docs/..%2fdocs.go", "/docs/static/index.html"} {
			t.Run(path+" is not found", func(t *testing.T) {
				app.Browser().Get(path).WantError(t, http.StatusNotFound, "not_found")
			})
		}
	})
}

// TestVendoredVersionIsTheScriptsPin keeps scripts/vendor-docs.sh and what it
// last wrote in step: a changed pin must be followed by a run of the script.
func TestVendoredVersionIsTheScriptsPin(t *testing.T) {
	script, err := os.ReadFile("../../scripts/vendor-docs.sh")
	if err != nil {
		t.Fatal(err)
	}
	vendored, err := os.ReadFile("third_party/swagger-ui-dist/VERSION")
	if err != nil {
		t.Fatal(err)
	}
	pin := func(name string) string {
		m := regexp.MustCompile(`(?m)^` + name + `=(\S+)$`).FindSubmatch(script)
		if m == nil {
			t.Fatalf("scripts/vendor-docs.sh sets no %s", name)
		}
		return string(m[1])
	}
	want := "swagger-ui-dist@" + pin("VERSION") + " " + pin("INTEGRITY")
	if got := strings.TrimSpace(string(vendored)); got != want {
		t.Fatalf("vendored %q, but the script pins %q: run scripts/vendor-docs.sh", got, want)
	}
}
