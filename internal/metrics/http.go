package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
)

// unmatched is the route of a request whose path no route has: its path is
// not a label, or anyone could make the series without end.
const unmatched = "unmatched"

// Middleware returns the Echo middleware that counts each request, by route
// pattern (/api/auth/sessions/:id, not the path), method and status, and
// observes its duration. It hands an error to the error handler itself, as
// web.RequestLogger does, so that what it counts is the status the client
// got.
func (m *Metrics) Middleware() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			if err := next(c); err != nil {
				c.Error(err)
			}
			route := c.Path()
			if route == "" {
				route = unmatched
			}
			method := methodLabel(c.Request().Method)
			m.requests.WithLabelValues(route, method, strconv.Itoa(c.Response().Status)).Inc()
			m.latency.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
			return nil
		}
	}
}

// methodLabel keeps the method label to the methods of HTTP: a client may
// send any token as its method.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return method
	}
	return "other"
}
