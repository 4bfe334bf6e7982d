// Package demo serves a small single-page app at GET /demo/ that walks
// through the API as a browser frontend would: registration, login with and
// without remember-me, the session check, the cart, the multi-step form and
// logout, all with fetch and credentials: "include". It is plain HTML and
// JavaScript modules, embedded in the binary, with no build step.
//
// The page calls the API at its own origin, or at the one named by ?api= in
// its address when it is served from another origin, as the browser test in
// this package serves it. The copy the API serves may only connect to the
// API itself: its Content-Security-Policy says connect-src 'self', so that a
// link to /demo/?api=https://elsewhere cannot make a page of this origin
// send the password a user types into it to another server.
package demo

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/djsessions/api/internal/apperr"
)

//go:embed static
var static embed.FS

// contentTypes are the types of the files that static may hold; a file of
// another kind is a mistake that NewHandler reports.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
}

type file struct {
	body        []byte
	contentType string
	etag        string
}

// Handler serves the demo page and its scripts and stylesheet.
type Handler struct {
	files  map[string]file
	policy string
}

// NewHandler returns a Handler on the embedded files. The page may call the
// API on its own origin and on the origins given (scheme://host[:port]),
// which the API serving its own demo leaves out. NewHandler panics if a file
// has a type contentTypes does not know, which a test rules out.
func NewHandler(apiOrigins ...string) *Handler {
	h := &Handler{files: map[string]file{}, policy: policy(apiOrigins)}
	entries, err := fs.ReadDir(static, "static")
	if err != nil {
		panic(err) // the directory is embedded: it is there
	}
	for _, e := range entries {
		ct, ok := contentTypes[path.Ext(e.Name())]
		if !ok {
			panic(fmt.Sprintf("demo: no content type for static/%s", e.Name()))
		}
		body, err := static.ReadFile("static/" + e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(body)
		h.files[e.Name()] = file{body, ct, `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`}
	}
	return h
}

// policy is the page's Content-Security-Policy: scripts, styles and images
// from this origin only, no inline script, and fetch to this origin and
// apiOrigins only.
func policy(apiOrigins []string) string {
	connect := strings.Join(append([]string{"'self'"}, apiOrigins...), " ")
	return "default-src 'self'; connect-src " + connect + "; img-src 'self' data:; " +
		"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
}

// Register adds GET /demo/ (the page), GET /demo/:file (its assets) and
// GET /demo, which redirects to /demo/ so that the page's relative links
// resolve, to e, outside /api: the demo itself has no session.
func (h *Handler) Register(e *echo.Echo) {
	e.GET("/demo", func(c echo.Context) error {
		to := "/demo/"
		if q := c.Request().URL.RawQuery; q != "" {
			to += "?" + q
		}
		return c.Redirect(http.StatusMovedPermanently, to)
	})
	e.GET("/demo/", func(c echo.Context) error { return h.serve(c, "index.html") })
	e.GET("/demo/:file", func(c echo.Context) error { return h.serve(c, c.Param("file")) })
}

// serve answers with one file. Browsers revalidate (no-cache) and get 304
// while the file is unchanged, so a new version of the demo is seen at once.
func (h *Handler) serve(c echo.Context, name string) error {
	f, ok := h.files[name]
	if !ok {
		return apperr.New(apperr.NotFound, "no such resource")
	}
	header := c.Response().Header()
	header.Set("Cache-Control", "no-cache")
	header.Set("ETag", f.etag)
	header.Set("X-Content-Type-Options", "nosniff")
	if f.contentType == contentTypes[".html"] {
		header.Set("Content-Security-Policy", h.policy)
	}
	if c.Request().Header.Get("If-None-Match") == f.etag {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, f.contentType, f.body)
}
