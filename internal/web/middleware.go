package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// LimitBody refuses a request body over MaxBodyBytes: at once when its
// Content-Length says so, otherwise as soon as reading passes the limit.
func LimitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if req.ContentLength > MaxBodyBytes {
			return bodyTooLarge
		}
		req.Body = http.MaxBytesReader(c.Response(), req.Body, MaxBodyBytes)
		return next(c)
	}
}

// Deadline bounds the work of each request by d, as the deadline of its
// context: every store call the request makes (the session's, the
// features' queries, a wait for a pooled connection) gives up when it
// passes, and the request answers 503 unavailable, rather than holding its
// client, and a connection, for as long as a lock is held or the pool is
// busy.
func Deadline(d time.Duration) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ctx, cancel := context.WithTimeout(c.Request().Context(), d)
			defer cancel()
			c.SetRequest(c.Request().WithContext(ctx))
			return next(c)
		}
	}
}

// JSONCharset labels JSON responses "application/json; charset=UTF-8", as
// the contract says, where Echo writes a bare "application/json".
func JSONCharset(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		res := c.Response()
		res.Before(func() {
			if res.Header().Get(echo.HeaderContentType) == echo.MIMEApplicationJSON {
				res.Header().Set(echo.HeaderContentType, echo.MIMEApplicationJSONCharsetUTF8)
			}
		})
		return next(c)
	}
}

// RequestLogger gives each request its id (see HeaderRequestID), sends it
// back in the response, and logs one line per request: its id, method,
// route pattern and path, status, duration, response size and client
// address. Nothing else of the request is logged: no header, no query, no
// body, so never a session key, a cookie or a password. It hands an error
// to the error handler itself, so that the line shows the status the client
// really got.
func RequestLogger(logger *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			req := c.Request()
			id := requestID(req.Header.Get(HeaderRequestID))
			req = req.WithContext(context.WithValue(req.Context(), requestIDKey{}, id))
			c.SetRequest(req)
			c.Response().Header().Set(HeaderRequestID, id)
			if err := next(c); err != nil {
				c.Error(err)
			}
			res := c.Response()
			logger.LogAttrs(req.Context(), slog.LevelInfo, "request",
				slog.String("request_id", id), slog.String("method", req.Method),
				slog.String("route", c.Path()), slog.String("path", req.URL.Path),
				slog.Int("status", res.Status), slog.Duration("duration", time.Since(start)),
				slog.Int64("bytes", res.Size), slog.String("remote_ip", c.RealIP()))
			return nil
		}
	}
}

// Recover turns a panic into a logged 500 with the error envelope.
func Recover(logger *slog.Logger) echo.MiddlewareFunc {
	return middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			logger.Error("panic", "request_id", RequestID(c.Request().Context()), "path", c.Request().URL.Path,
				"err", err, "stack", string(stack))
			return fmt.Errorf("panic: %w", err)
		},
	})
}
