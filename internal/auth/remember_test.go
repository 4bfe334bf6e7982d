package auth_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/djsessions/api/internal/apitest"
)

func TestRememberMe(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, app *apitest.App, clk *apitest.Clock) {
		t.Run("200", func(t *testing.T) {
			t.Run("remember_me true: a persistent cookie and session of 30 days", func(t *testing.T) {
				u := register(t, app, "remembered")
				b := app.Browser()
				res := b.Post("/api/auth/login", credentials{Username: u.Username, Password: strongPassword, RememberMe: true}).Want(t, http.StatusOK)

				until := clk.Now().Add(rememberMeAge * time.Second)
				if got := decode[loggedIn](t, res).Session; !sameInfo(got, info{rememberMeAge, until, false}) {
					t.Fatalf("session %+v, want 30 days, not at browser close", got)
				}
				if ck := res.SessionCookie(t); ck.MaxAge != rememberMeAge || !ck.Expires.Equal(until) {
					t.Fatalf("Set-Cookie %q, want Max-Age=%d and Expires %v", res.SetCookie("sessionid"), rememberMeAge, until)
				}
				if st, _ := app.Stored(t, b.SessionKey()); !st.Expire.Equal(until) {
					t.Fatalf("stored expiry %v, want %v", st.Expire, until)
				}
			})

			register(t, app, "forgetful")
			for name, body := range map[string]any{
				"remember_me false":  credentials{Username: "forgetful", Password: strongPassword},
				"remember_me absent": map[string]string{"username": "forgetful", "password": strongPassword},
			} {
				t.Run(name+": a browser-session cookie, with neither Max-Age nor Expires", func(t *testing.T) {
					b := app.Browser()
					res := b.Post("/api/auth/login", body).Want(t, http.StatusOK)

					if got := decode[loggedIn](t, res).Session; !got.ExpireAtBrowserClose {
						t.Fatalf("session %+v, want expire_at_browser_close", got)
					}
					if raw := res.SetCookie("sessionid"); raw == "" || strings.Contains(raw, "Max-Age") || strings.Contains(raw, "Expires") {
						t.Fatalf("Set-Cookie %q, want a session cookie with neither Max-Age nor Expires", raw)
					}
					// As in Django, the record still expires after SESSION_COOKIE_AGE.
					if st, _ := app.Stored(t, b.SessionKey()); !st.Expire.Equal(clk.Now().Add(defaultAge * time.Second)) {
						t.Fatalf("stored expiry %v, want SESSION_COOKIE_AGE from now", st.Expire)
					}
				})
			}

			t.Run("login replaces an expiry chosen before it", func(t *testing.T) {
				u := register(t, app, "reexpired")
				b := app.Browser()
				b.Put("/api/session/expiry", map[string]int{"seconds": 600}).Want(t, http.StatusOK)

				if got := login(t, b, u.Username).Session; !got.ExpireAtBrowserClose {
					t.Fatalf("session %+v after login without remember_me, want expire_at_browser_close", got)
				}
				res := b.Post("/api/auth/login", credentials{Username: u.Username, Password: strongPassword, RememberMe: true}).Want(t, http.StatusOK)
				if got := decode[loggedIn](t, res).Session; got.ExpiryAge != rememberMeAge || got.ExpireAtBrowserClose {
					t.Fatalf("session %+v after login with remember_me, want 30 days", got)
				}
			})
		})
	})
}
