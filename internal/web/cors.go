package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// What CORS tells browsers. The request headers are those a client of the
// API sends beyond the CORS-safelisted ones; the exposed response headers
// are those a page needs to read: a new session key for a client that uses
// the header transport, how long to wait after a 429, and the request id to
// quote in a bug report.
const (
	corsAllowHeaders  = "Content-Type, X-Session-Key, X-Request-ID"
	corsExposeHeaders = "X-Session-Key, Retry-After, X-Request-ID"
	// corsMaxAge is how long, in seconds, a browser may keep a preflight's
	// answer: two hours, the most Chromium honours.
	corsMaxAge = "7200"
)

// CORS lets pages of the origins listed (CORS_ALLOWED_ORIGINS, each exactly
// scheme://host[:port] as a browser sends it in Origin) call the API with
// credentials: their requests get their own origin back in
// Access-Control-Allow-Origin, never "*", which browsers refuse with
// credentials anyway, and Access-Control-Allow-Credentials: true; their
// preflights on a route of the API are answered 204 with the route's
// methods. Other origins get no CORS header at all, so their pages cannot
// read any response, and their preflights fail in the browser.
//
// CORS only decides what a page may read. A browser sends some cross-origin
// writes (a form post) without asking first; CrossOrigin is what refuses
// those.
func CORS(origins []string) echo.MiddlewareFunc {
	allowed := make(map[string]bool, len(origins))
	for _, o := range origins {
		allowed[o] = true
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		if len(allowed) == 0 {
			return next // no response depends on Origin
		}
		return func(c echo.Context) error {
			req, h := c.Request(), c.Response().Header()
			h.Add(echo.HeaderVary, echo.HeaderOrigin)
			origin := req.Header.Get(echo.HeaderOrigin)
			if !allowed[origin] {
				return next(c)
			}
			h.Set(echo.HeaderAccessControlAllowOrigin, origin)
			h.Set(echo.HeaderAccessControlAllowCredentials, "true")
			if req.Method == http.MethodOptions && req.Header.Get(echo.HeaderAccessControlRequestMethod) != "" {
				// Echo's router leaves the methods of a path it knows, which
				// has no OPTIONS route of its own, in the context.
				methods, _ := c.Get(echo.ContextKeyHeaderAllow).(string)
				if methods == "" {
					return next(c) // no such route: 404, as to any request
				}
				h.Set(echo.HeaderAllow, methods)
				h.Set(echo.HeaderAccessControlAllowMethods, withoutOptions(methods))
				h.Set(echo.HeaderAccessControlAllowHeaders, corsAllowHeaders)
				h.Set(echo.HeaderAccessControlMaxAge, corsMaxAge)
				return c.NoContent(http.StatusNoContent)
			}
			h.Set(echo.HeaderAccessControlExposeHeaders, corsExposeHeaders)
			return next(c)
		}
	}
}

// withoutOptions drops OPTIONS from a list of methods: a preflight asks
// about the method of the request to come, never OPTIONS.
func withoutOptions(methods string) string {
	var out []string
	for _, m := range strings.Split(methods, ",") {
		if m = strings.TrimSpace(m); m != "" && m != http.MethodOptions {
			out = append(out, m)
		}
	}
	return strings.Join(out, ", ")
}
