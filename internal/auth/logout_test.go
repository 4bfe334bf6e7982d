package auth_test

import (
	"net/http"
	"testing"

	"github.com/djsessions/api/internal/apitest"
)

func TestLogout(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, app *apitest.App, clk *apitest.Clock) {
		t.Run("204", func(t *testing.T) {
			for _, c := range apitest.Transports(app) {
				t.Run(c.Name+": the session is deleted, the key forgotten, and the old key anonymous everywhere", func(t *testing.T) {
					u := register(t, app, "leaving_"+c.Name)
					cl := c.New()
					login(t, cl, u.Username)
					old := cl.SessionKey()

					res := cl.Post("/api/auth/logout", nil).Want(t, http.StatusNoContent)

					if len(res.Body) != 0 {
						t.Fatalf("a 204 with a body: %s", res.Body)
					}
					c.WantForgotten(t, res)
					wantNotStored(t, app, old)
					if k := cl.SessionKey(); k != "" {
						t.Fatalf("the client still holds key %q", k)
					}
					wantAnonymous(t, cl)

					c.WantForgotten(t, wantAnonymous(t, c.WithKey(old)))
					c.WithKey(old).Get("/api/auth/me").WantError(t, http.StatusUnauthorized, "not_authenticated")
				})

				t.Run(c.Name+": without a session, and nothing is stored", func(t *testing.T) {
					count := app.CountStored(t)
					res := c.New().Post("/api/auth/logout", nil).Want(t, http.StatusNoContent)
					res.WantNoCookie(t)
					if n := app.CountStored(t); n != count {
						t.Fatalf("%d sessions stored, want %d", n, count)
					}
				})
			}

			t.Run("an anonymous session is ended too", func(t *testing.T) {
				b := app.Browser()
				b.Post("/api/session/visit", nil).Want(t, http.StatusOK)
				key := b.SessionKey()

				b.Post("/api/auth/logout", nil).Want(t, http.StatusNoContent).WantCookieDeleted(t)
				wantNotStored(t, app, key)
			})

			t.Run("only this session ends: the user's other browser stays logged in", func(t *testing.T) {
				u := register(t, app, "twobrowsers")
				here, there := app.Browser(), app.Browser()
				login(t, here, u.Username)
				login(t, there, u.Username)

				here.Post("/api/auth/logout", nil).Want(t, http.StatusNoContent)

				wantAuthenticatedAs(t, there, u)
			})
		})
	})
}
