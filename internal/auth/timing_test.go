package auth_test

import (
	"net/http"
	"testing"

	"github.com/djsessions/api/internal/apitest"
	"github.com/djsessions/api/internal/password"
	"github.com/djsessions/api/internal/timingtest"
)

// Whether a username exists must not show in how long its login takes to
// be refused: an unknown user costs one hash at the real work factor
// (password.DefaultIterations), as a wrong password for a known one does.
// Measured: the medians of 15 logins of each kind, interleaved, within
// 20%, in up to three attempts. It runs only in make test's step of its
// own (TIMING_TESTS=1), where no other test binary competes for the CPU.
func TestLoginTimingDoesNotTellWhetherAUserExists(t *testing.T) {
	if !timingtest.Enabled() {
		t.Skip("a measured test: make test runs it alone, with TIMING_TESTS=1")
	}
	app := apitest.New(t, apitest.Options{PasswordIterations: password.DefaultIterations})
	register(t, app, "known")
	c := app.Browser()
	unknownUser := func() {
		c.Post("/api/auth/login", credentials{Username: "unknown", Password: strongPassword}).WantError(t, http.StatusUnauthorized, "invalid_credentials")
	}
	wrongPassword := func() {
		c.Post("/api/auth/login", credentials{Username: "known", Password: "wrong-" + strongPassword}).WantError(t, http.StatusUnauthorized, "invalid_credentials")
	}
	unknownUser() // warm up: connections, the statements' plans
	wrongPassword()
	timingtest.SameMedian(t, 15, 0.20, 3, unknownUser, wrongPassword)
}
