package auth_test

import (
	"testing"

	"github.com/djsessions/api/internal/timingtest"
)

// The session auth hash, which ties a login to the password it was made
// with, is compared with hmac.Equal and nothing else, at login and on
// every request (checked on the type-checked source).
func TestSessionAuthHashesAreComparedInConstantTime(t *testing.T) {
	timingtest.ConstantTime(t, "Service.matchHash", "Service.Login")
}
