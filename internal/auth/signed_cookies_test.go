package auth_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/djsessions/api/internal/apitest"
)

// With SESSION_ENGINE=signed_cookies the whole session travels with the
// client; the server keeps no session at all.
func TestAccountsOnSignedCookies(t *testing.T) {
	t.Parallel()
	app := apitest.New(t, apitest.Options{Engine: "signed_cookies"})

	for _, c := range apitest.Transports(app) {
		t.Run(c.Name+": login, the session check and logout work, and nothing is stored", func(t *testing.T) {
			u := register(t, app, "cookie_"+c.Name)
			cl := c.New()
			cl.Post("/api/session/visit", nil).Want(t, http.StatusOK) // anonymous data, kept at login
			login(t, cl, u.Username)
			key := cl.SessionKey()
			if strings.Count(key, ":") != 2 {
				t.Fatalf("the client holds %q, want the signed session itself", key)
			}
			wantAuthenticatedAs(t, cl, u)
			if n := app.CountStored(t); n != 0 {
				t.Fatalf("%d rows in django_session, want none", n)
			}

			c.WantForgotten(t, cl.Post("/api/auth/logout", nil).Want(t, http.StatusNoContent))
			wantAnonymous(t, cl)
		})
	}

	t.Run("a password change ends the other sessions, as their auth hash no longer matches", func(t *testing.T) {
		u := register(t, app, "cookie_pw")
		phone, laptop := app.Mobile(), app.Browser()
		login(t, phone, u.Username)
		login(t, laptop, u.Username)
		laptop.Post("/api/auth/password", map[string]string{"old_password": strongPassword, "new_password": "an0ther-Strong-pass"}).
			Want(t, http.StatusNoContent)
		wantAuthenticatedAs(t, laptop, u)
		wantAnonymous(t, phone)
	})

	t.Run("my sessions and revoke answer that this engine cannot", func(t *testing.T) {
		u := register(t, app, "cookie_list")
		cl := app.Browser()
		login(t, cl, u.Username)
		cl.Get("/api/auth/sessions").WantError(t, http.StatusNotImplemented, "not_supported")
		cl.Delete("/api/auth/sessions/0123456789abcdef").WantError(t, http.StatusNotImplemented, "not_supported")
		cl.Post("/api/auth/logout-all", nil).WantError(t, http.StatusNotImplemented, "not_supported")
		wantAuthenticatedAs(t, cl, u) // nothing half-done
	})

	t.Run("a tampered cookie is an anonymous session", func(t *testing.T) {
		u := register(t, app, "cookie_forged")
		cl := app.Mobile()
		login(t, cl, u.Username)
		forged := apitest.Transports(app)[1].WithKey(strings.Replace(cl.SessionKey(), ":", "x:", 1))
		wantAnonymous(t, forged)
	})
}
