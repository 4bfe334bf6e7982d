package web

import (
	"fmt"
	"log/slog"
	"net/http"

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

// RequestLogger logs one line per request.
func RequestLogger(logger *slog.Logger) echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogMethod: true, LogURIPath: true, LogStatus: true, LogLatency: true, LogRemoteIP: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			logger.LogAttrs(c.Request().Context(), slog.LevelInfo, "request",
				slog.String("method", v.Method), slog.String("path", v.URIPath),
				slog.Int("status", v.Status), slog.Duration("latency", v.Latency),
				slog.String("remote_ip", v.RemoteIP))
			return nil
		},
	})
}

// Recover turns a panic into a logged 500 with the error envelope.
func Recover(logger *slog.Logger) echo.MiddlewareFunc {
	return middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			logger.Error("panic", "path", c.Request().URL.Path, "err", err, "stack", string(stack))
			return fmt.Errorf("panic: %w", err)
		},
	})
}
