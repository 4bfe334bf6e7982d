// Package web holds what every HTTP handler of the API shares: the one place
// where errors become responses, strict JSON binding, and the middleware
// around every route.
package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/djsessions/api/internal/apperr"
	"github.com/djsessions/api/internal/session"
)

// statusOf is the one table from error code to HTTP status.
var statusOf = map[apperr.Code]int{
	apperr.InvalidJSON:          http.StatusBadRequest,
	apperr.ValidationFailed:     http.StatusBadRequest,
	apperr.SessionInterrupted:   http.StatusBadRequest,
	apperr.NotAuthenticated:     http.StatusUnauthorized,
	apperr.InvalidCredentials:   http.StatusUnauthorized,
	apperr.SessionExpired:       http.StatusUnauthorized,
	apperr.CrossOriginForbidden: http.StatusForbidden,
	apperr.NotFound:             http.StatusNotFound,
	apperr.MethodNotAllowed:     http.StatusMethodNotAllowed,
	apperr.Conflict:             http.StatusConflict,
	apperr.StepOutOfOrder:       http.StatusConflict,
	apperr.BodyTooLarge:         http.StatusRequestEntityTooLarge,
	apperr.SessionTooLarge:      http.StatusRequestEntityTooLarge,
	apperr.UnsupportedMediaType: http.StatusUnsupportedMediaType,
	apperr.TooManyAttempts:      http.StatusTooManyRequests,
	apperr.Unavailable:          http.StatusServiceUnavailable,
	apperr.NotSupported:         http.StatusNotImplemented,
	apperr.Internal:             http.StatusInternalServerError,
}

// Envelope is the body of every error response.
type Envelope struct {
	Error EnvelopeError `json:"error"`
}

// EnvelopeError is the inside of an Envelope.
type EnvelopeError struct {
	Code    apperr.Code       `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// ErrorHandler returns Echo's HTTPErrorHandler for the API: every error, from
// a handler, a middleware, the router or a recovered panic, becomes the error
// envelope. Anything not known to be the client's doing is logged, and the
// client learns nothing of its internals.
func ErrorHandler(logger *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		e := toAppError(err)
		status := statusOf[e.Code]
		if status >= 500 {
			logger.Error("request failed", "request_id", RequestID(c.Request().Context()),
				"method", c.Request().Method, "path", c.Request().URL.Path, "status", status, "err", err)
		}
		if c.Response().Committed {
			return
		}
		if e.RetryAfter > 0 {
			secs := (e.RetryAfter + time.Second - 1) / time.Second // rounded up
			c.Response().Header().Set("Retry-After", strconv.Itoa(int(secs)))
		}
		// HEAD needs no special case: net/http drops the body of its answer.
		if werr := c.JSON(status, Envelope{EnvelopeError{e.Code, e.Message, e.Fields}}); werr != nil {
			logger.Debug("writing an error response", "err", werr)
		}
	}
}

func toAppError(err error) *apperr.Error {
	var ae *apperr.Error
	var he *echo.HTTPError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.Is(err, session.ErrInterrupted):
		return apperr.New(apperr.SessionInterrupted,
			"the session was ended by another request (a logout?) while this one ran; sign in again")
	case errors.Is(err, session.ErrUnavailable), errors.Is(err, apperr.ErrUnavailable),
		errors.Is(err, context.DeadlineExceeded):
		return apperr.New(apperr.Unavailable, "the service is temporarily unavailable; try again shortly")
	case errors.Is(err, session.ErrTooLarge):
		return apperr.New(apperr.SessionTooLarge,
			"the session would grow past its size limit (%d KiB; %d bytes in a cookie with signed cookies); nothing was saved",
			session.DefaultMaxSize>>10, session.MaxCookieSize)
	case errors.Is(err, session.ErrNoIndex):
		return apperr.New(apperr.NotSupported,
			"this server's session engine keeps no index of a user's sessions (SESSION_ENGINE file or signed_cookies), so it cannot list or end them")
	case errors.As(err, &mbe):
		return bodyTooLarge
	case errors.As(err, &he):
		return fromHTTPError(he)
	}
	return apperr.New(apperr.Internal, "internal server error")
}

// fromHTTPError translates the errors Echo's router and middleware produce.
func fromHTTPError(he *echo.HTTPError) *apperr.Error {
	switch he.Code {
	case http.StatusNotFound:
		return apperr.New(apperr.NotFound, "no such resource")
	case http.StatusMethodNotAllowed:
		return apperr.New(apperr.MethodNotAllowed, "method not allowed on this resource")
	case http.StatusRequestEntityTooLarge:
		return bodyTooLarge
	case http.StatusUnsupportedMediaType:
		return unsupportedMediaType
	case http.StatusBadRequest:
		return apperr.New(apperr.InvalidJSON, "the request is malformed")
	case http.StatusServiceUnavailable:
		return apperr.New(apperr.Unavailable, "the service is temporarily unavailable; try again shortly")
	}
	return apperr.New(apperr.Internal, "internal server error")
}

var (
	bodyTooLarge         = apperr.New(apperr.BodyTooLarge, "the request body is larger than %d bytes", MaxBodyBytes)
	unsupportedMediaType = apperr.New(apperr.UnsupportedMediaType, "the request body must be JSON, sent as Content-Type: application/json")
)
