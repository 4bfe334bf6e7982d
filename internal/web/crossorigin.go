package web

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/djsessions/api/internal/apperr"
)

var crossOriginForbidden = apperr.New(apperr.CrossOriginForbidden,
	"a page of another origin may not change anything here with this browser's cookies")

// CrossOrigin refuses, with 403 cross_origin_forbidden, a state-changing
// request (any method but GET, HEAD and OPTIONS) that a browser sent with
// cookies from a page of another origin: a cross-site request forgery. It is
// net/http's CrossOriginProtection: the browser's Sec-Fetch-Site header says
// where the request comes from (same-origin and none, a typed URL or a
// bookmark, pass), and, from a browser too old to send it, an Origin whose
// host is not the request's Host is refused. The origins given
// (CORS_ALLOWED_ORIGINS) are trusted. A page on a sibling subdomain is
// same-site, not same-origin: it is refused unless its origin is listed.
//
// Only requests that carry a cookie are checked, because a cookie is the
// only credential a browser attaches by itself. A request without one
// carries no session of the user's: a page that sends it could as well be its
// author calling the API. The other transport, X-Session-Key, is a header
// that a page can send to another origin only after a preflight that CORS
// answers for the listed origins alone; and the JSON a request body must be
// (415 otherwise) cannot be sent without one either. Clients that are not
// browsers (curl, Postman, mobile apps) send neither Sec-Fetch-Site nor
// Origin, and pass.
//
// CrossOrigin panics if an origin is not scheme://host[:port]; the
// configuration checks them first.
func CrossOrigin(trusted []string) echo.MiddlewareFunc {
	protection := http.NewCrossOriginProtection()
	for _, o := range trusted {
		if err := protection.AddTrustedOrigin(o); err != nil {
			panic(fmt.Sprintf("web.CrossOrigin: %v", err))
		}
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			// Check is what CrossOriginProtection.Handler asks before
			// calling its deny handler; calling it here lets the one error
			// handler answer, with the envelope, the request's log line and
			// its metrics, instead of a second writer of errors.
			if req.Header.Get("Cookie") != "" && protection.Check(req) != nil {
				return crossOriginForbidden
			}
			return next(c)
		}
	}
}
