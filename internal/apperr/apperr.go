// Package apperr is the application's error vocabulary: one Error type with
// the codes of the API contract, used by services that know nothing of HTTP
// and turned into responses in exactly one place, package web.
package apperr

import (
	"errors"
	"fmt"
	"time"
)

// Code is a stable, snake_case error code that clients may match on.
type Code string

// The codes of the API contract.
const (
	InvalidJSON          Code = "invalid_json"
	ValidationFailed     Code = "validation_failed"
	SessionInterrupted   Code = "session_interrupted"
	NotAuthenticated     Code = "not_authenticated"
	InvalidCredentials   Code = "invalid_credentials"
	SessionExpired       Code = "session_expired"
	CrossOriginForbidden Code = "cross_origin_forbidden"
	NotFound             Code = "not_found"
	MethodNotAllowed     Code = "method_not_allowed"
	Conflict             Code = "conflict"
	StepOutOfOrder       Code = "step_out_of_order"
	BodyTooLarge         Code = "body_too_large"
	SessionTooLarge      Code = "session_too_large"
	UnsupportedMediaType Code = "unsupported_media_type"
	TooManyAttempts      Code = "too_many_attempts"
	Unavailable          Code = "unavailable"
	NotSupported         Code = "not_supported"
	Internal             Code = "internal_error"
)

// ErrUnavailable wraps the failures of a store the request needs (the
// database down, a query timing out): the client gets 503 unavailable and
// the cause goes to the log.
var ErrUnavailable = errors.New("store unavailable")

// Error is an error the client is told about: its Message is written for
// people, and Fields names what was wrong with which input field.
type Error struct {
	Code       Code
	Message    string
	Fields     map[string]string
	RetryAfter time.Duration // sent as Retry-After, when positive
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// New returns an Error with a message formatted as fmt.Sprintf does.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns a validation_failed Error for the given field messages.
func Invalid(fields map[string]string) *Error {
	return &Error{Code: ValidationFailed, Message: "the request has invalid fields", Fields: fields}
}
