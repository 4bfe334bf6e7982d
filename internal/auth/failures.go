package auth

import (
	"errors"

	"github.com/djsessions/api/internal/apperr"
)

// FailureCounter is told of every login refused for its credentials or by
// the throttle; the metrics count them.
type FailureCounter interface {
	// LoginFailed counts one refused login; code is what the client was
	// told: invalid_credentials or too_many_attempts.
	LoginFailed(code apperr.Code)
}

// loginFailed tells Config.Failures of a login that err refused. Any other
// error (the database down, an interrupted session) is not a refusal.
func (svc *Service) loginFailed(err error) {
	var ae *apperr.Error
	if svc.cfg.Failures == nil || !errors.As(err, &ae) {
		return
	}
	if ae.Code == apperr.InvalidCredentials || ae.Code == apperr.TooManyAttempts {
		svc.cfg.Failures.LoginFailed(ae.Code)
	}
}
