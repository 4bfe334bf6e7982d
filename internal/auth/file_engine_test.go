package auth_test

import (
	"net/http"
	"testing"

	"github.com/djsessions/api/internal/apitest"
)

// The file engine keeps no index of a user's sessions, so the tests of my
// sessions, revoke and logout everywhere skip on it; here, what it does
// instead.
func TestFileEngineWithoutAUserIndex(t *testing.T) {
	t.Parallel()
	app := apitest.New(t, apitest.Options{Engine: "file"})

	t.Run("my sessions, revoke and logout everywhere answer that this engine cannot", func(t *testing.T) {
		u := register(t, app, "file_list")
		cl := app.Browser()
		login(t, cl, u.Username)
		cl.Get("/api/auth/sessions").WantError(t, http.StatusNotImplemented, "not_supported")
		cl.Delete("/api/auth/sessions/0123456789abcdef").WantError(t, http.StatusNotImplemented, "not_supported")
		cl.Post("/api/auth/logout-all", nil).WantError(t, http.StatusNotImplemented, "not_supported")
		wantAuthenticatedAs(t, cl, u) // nothing half-done
	})

	t.Run("a password change ends the other sessions at their next request, which deletes them", func(t *testing.T) {
		u := register(t, app, "file_pw")
		phone, laptop := app.Mobile(), app.Browser()
		login(t, phone, u.Username)
		login(t, laptop, u.Username)
		phoneKey := phone.SessionKey()

		changePassword(laptop, strongPassword).Want(t, http.StatusNoContent)

		wantAuthenticatedAs(t, laptop, u)
		wantAnonymous(t, phone)
		wantNotStored(t, app, phoneKey)
	})
}
