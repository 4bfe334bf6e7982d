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
	"embed"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/djsessions/api/internal/webfiles"
)

//go:embed static
var static embed.FS

// Handler serves the demo page and its scripts and stylesheet.
type Handler struct{ files *webfiles.Files }

// NewHandler returns a Handler on the embedded files. The page may call the
// API on its own origin and on the origins given (scheme://host[:port]),
// which the API serving its own demo leaves out. NewHandler panics if a file
// has a type webfiles does not serve, which a test rules out.
func NewHandler(apiOrigins ...string) *Handler {
	return &Handler{files: webfiles.New(static, "static", policy(apiOrigins))}
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
	e.GET("/demo/", func(c echo.Context) error { return h.files.Serve(c, "index.html") })
	e.GET("/demo/:file", func(c echo.Context) error { return h.files.Serve(c, c.Param("file")) })
}
