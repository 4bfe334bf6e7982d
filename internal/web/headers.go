package web

import "github.com/labstack/echo/v4"

// NoStore tells every cache, the browser's included, to keep no copy of the
// response: the API's responses carry session and account data, which must
// not be served from a shared cache to someone else, nor from the browser's
// cache after a logout.
func NoStore(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
		return next(c)
	}
}

// StrictTransport returns middleware that, when on (SESSION_COOKIE_SECURE:
// the API is served over HTTPS only), tells browsers to use HTTPS for the
// host and its subdomains for a year (HSTS), so that no later request, and no
// cookie, goes out over plain HTTP. Off, it does nothing.
func StrictTransport(on bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		if !on {
			return next
		}
		return func(c echo.Context) error {
			c.Response().Header().Set(echo.HeaderStrictTransportSecurity, "max-age=31536000; includeSubDomains")
			return next(c)
		}
	}
}
