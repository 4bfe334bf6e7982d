package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/djsessions/api/internal/apperr"
	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/web"
)

// serve runs handler behind the API's error handling and returns the answer.
func serve(t *testing.T, logs *strings.Builder, handler echo.HandlerFunc) (*httptest.ResponseRecorder, web.Envelope) {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(logs, nil))
	e := echo.New()
	e.HTTPErrorHandler = web.ErrorHandler(logger)
	e.Use(web.RequestLogger(logger), web.Recover(logger), web.JSONCharset)
	e.POST("/", handler)
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", nil))
	var env web.Envelope
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
		t.Fatalf("body is not the envelope: %v; body %q", err, rec.Body)
	}
	return rec, env
}

func TestEveryErrorBecomesTheEnvelope(t *testing.T) {
	cases := []struct {
		name   string
		err    error
		status int
		code   apperr.Code
	}{
		{"an application error", apperr.New(apperr.Conflict, "taken"), 409, apperr.Conflict},
		{"a wrapped application error", fmt.Errorf("context: %w", apperr.New(apperr.StepOutOfOrder, "x")), 409, apperr.StepOutOfOrder},
		{"validation", apperr.Invalid(map[string]string{"f": "bad"}), 400, apperr.ValidationFailed},
		{"a session deleted meanwhile", fmt.Errorf("save: %w", session.ErrInterrupted), 400, apperr.SessionInterrupted},
		{"the session store down", fmt.Errorf("%w: dial tcp: connection refused", session.ErrUnavailable), 503, apperr.Unavailable},
		{"a deadline", context.DeadlineExceeded, 503, apperr.Unavailable},
		{"Echo's 404", echo.ErrNotFound, 404, apperr.NotFound},
		{"Echo's 405", echo.ErrMethodNotAllowed, 405, apperr.MethodNotAllowed},
		{"Echo's 413", echo.ErrStatusRequestEntityTooLarge, 413, apperr.BodyTooLarge},
		{"Echo's 415", echo.ErrUnsupportedMediaType, 415, apperr.UnsupportedMediaType},
		{"a body over the limit", &http.MaxBytesError{Limit: web.MaxBodyBytes}, 413, apperr.BodyTooLarge},
		{"anything else", errors.New("pq: relation \"x\" does not exist"), 500, apperr.Internal},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var logs strings.Builder
			rec, env := serve(t, &logs, func(echo.Context) error { return tc.err })
			if rec.Code != tc.status || env.Error.Code != tc.code || env.Error.Message == "" {
				t.Fatalf("got %d %+v, want %d %s with a message", rec.Code, env.Error, tc.status, tc.code)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=UTF-8" {
				t.Fatalf("Content-Type %q, want the contract's application/json; charset=UTF-8", ct)
			}
		})
	}
}

func TestServerErrorsAreLoggedButShowNoInternals(t *testing.T) {
	var logs strings.Builder
	rec, env := serve(t, &logs, func(echo.Context) error {
		return errors.New(`pq: password authentication failed for user "app" at 10.0.0.5`)
	})
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "pq") || strings.Contains(rec.Body.String(), "10.0.0.5") {
		t.Fatalf("got %d %s", rec.Code, rec.Body)
	}
	if env.Error.Fields != nil {
		t.Fatalf("a 500 has fields: %v", env.Error.Fields)
	}
	if !strings.Contains(logs.String(), "password authentication failed") {
		t.Fatalf("the cause was not logged: %s", logs.String())
	}
}

func TestAPanicIsA500EnvelopeAndIsLogged(t *testing.T) {
	var logs strings.Builder
	rec, env := serve(t, &logs, func(echo.Context) error { panic("secret internal state") })
	if rec.Code != 500 || env.Error.Code != apperr.Internal || strings.Contains(rec.Body.String(), "secret") {
		t.Fatalf("got %d %s", rec.Code, rec.Body)
	}
	if !strings.Contains(logs.String(), "secret internal state") {
		t.Fatalf("the panic was not logged: %s", logs.String())
	}
}

func TestTheRequestLogShowsTheStatusTheClientGot(t *testing.T) {
	var logs strings.Builder
	serve(t, &logs, func(echo.Context) error { return apperr.New(apperr.Conflict, "taken") })
	if !strings.Contains(logs.String(), "status=409") {
		t.Fatalf("request log: %s", logs.String())
	}
}
