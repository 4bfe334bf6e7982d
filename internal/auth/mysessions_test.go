package auth_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/djsessions/api/internal/apitest"
)

type activeSession struct {
	ID           string    `json:"id"`
	CreatedAt    time.Time `json:"created_at"`
	LastActivity time.Time `json:"last_activity"`
	UserAgent    string    `json:"user_agent"`
	IP           string    `json:"ip"`
	Current      bool      `json:"current"`
}

func mySessions(t *testing.T, cl *apitest.Client) []activeSession {
	t.Helper()
	return decode[[]activeSession](t, cl.Get("/api/auth/sessions").Want(t, http.StatusOK))
}

// devices logs u in on a phone, a laptop and a tablet, each with its own
// user agent, and returns them in that order.
func devices(t *testing.T, app *apitest.App, u registered) []*apitest.Client {
	t.Helper()
	var out []*apitest.Client
	for _, ua := range []string{"Phone/1", "Laptop/2", "Tablet/3"} {
		cl := app.Browser()
		if ua == "Phone/1" {
			cl = app.Mobile()
		}
		cl.Header.Set("User-Agent", ua)
		login(t, cl, u.Username)
		out = append(out, cl)
	}
	return out
}

func current(t *testing.T, list []activeSession) activeSession {
	t.Helper()
	var found []activeSession
	for _, s := range list {
		if s.Current {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d sessions marked current in %+v, want 1", len(found), list)
	}
	return found[0]
}

func TestMySessions(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, app *apitest.App, clk *apitest.Clock) {
		t.Run("200", func(t *testing.T) {
			t.Run("every device of the user is listed, this one marked current, under an id that is not its key", func(t *testing.T) {
				u := register(t, app, "traveller")
				other := register(t, app, "stranger")
				login(t, app.Browser(), other.Username)
				app.Browser().Post("/api/session/visit", nil).Want(t, http.StatusOK) // anonymous
				devs := devices(t, app, u)

				for i, cl := range devs {
					list := mySessions(t, cl)
					if len(list) != 3 {
						t.Fatalf("device %d lists %d sessions, want its user's 3: %+v", i, len(list), list)
					}
					me := current(t, list)
					if !strings.HasSuffix(me.UserAgent, []string{"Phone/1", "Laptop/2", "Tablet/3"}[i]) ||
						me.IP != "127.0.0.1" || !me.CreatedAt.Equal(clk.Now()) {
						t.Fatalf("device %d's own session %+v", i, me)
					}
					ids := map[string]bool{}
					for _, s := range list {
						ids[s.ID] = true
						for _, d := range devs {
							if strings.Contains(s.ID, d.SessionKey()) || strings.Contains(d.SessionKey(), s.ID) {
								t.Fatalf("the id %q gives away a session key", s.ID)
							}
						}
					}
					if len(ids) != 3 {
						t.Fatalf("ids %v are not distinct", ids)
					}
				}
			})

			t.Run("a rotated key keeps its place in the list, with when it began", func(t *testing.T) {
				u := register(t, app, "rotator")
				cl := app.Browser()
				login(t, cl, u.Username)
				before := current(t, mySessions(t, cl))

				clk.Advance(2 * time.Minute)
				cl.Post("/api/session/cycle", nil).Want(t, http.StatusOK)

				after := mySessions(t, cl)
				if len(after) != 1 || after[0].ID == before.ID || !after[0].CreatedAt.Equal(before.CreatedAt) || !after[0].Current {
					t.Fatalf("after a key rotation %+v, was %+v", after, before)
				}
			})

			t.Run("last activity moves at most once a minute", func(t *testing.T) {
				u := register(t, app, "regular")
				cl := app.Browser()
				login(t, cl, u.Username)
				start := clk.Now()

				clk.Advance(30 * time.Second)
				if got := current(t, mySessions(t, cl)).LastActivity; !got.Equal(start) {
					t.Fatalf("last activity %v after 30 s, want still %v", got, start)
				}
				clk.Advance(61 * time.Second)
				cl.Get("/api/auth/me").Want(t, http.StatusOK)
				if got := current(t, mySessions(t, cl)).LastActivity; !got.Equal(clk.Now()) {
					t.Fatalf("last activity %v after 91 s, want %v", got, clk.Now())
				}
			})
			t.Run("a login made by Django is listed once this API has seen a request of it", func(t *testing.T) {
				u := register(t, app, "djangonaut")
				// What Django's login() stores: its three keys, in a row of
				// django_session's own three columns.
				s := app.Sessions.New()
				for k, v := range map[string]any{
					"_auth_user_id":      itoa(u.ID),
					"_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
					"_auth_user_hash":    sessionAuthHash(accountOf(t, app, u.ID).Password),
				} {
					if err := s.Set(k, v); err != nil {
						t.Fatal(err)
					}
				}
				if err := app.Sessions.Save(context.Background(), s); err != nil {
					t.Fatal(err)
				}
				cl := clients(app)[0].withKey(s.Key())

				cl.Get("/api/auth/me").Want(t, http.StatusOK)
				list := mySessions(t, clients(app)[0].withKey(s.Key()))
				if len(list) != 1 || !list[0].Current || !list[0].LastActivity.Equal(clk.Now()) {
					t.Fatalf("my sessions after a request of a Django login: %+v", list)
				}
			})
		})

		t.Run("204", func(t *testing.T) {
			t.Run("revoking another device ends it at once and leaves the rest", func(t *testing.T) {
				u := register(t, app, "loser")
				devs := devices(t, app, u)
				phone := devs[0]
				var phoneID string
				for _, s := range mySessions(t, phone) {
					if s.Current {
						phoneID = s.ID
					}
				}
				phoneKey := phone.SessionKey()

				devs[1].Delete("/api/auth/sessions/"+phoneID).Want(t, http.StatusNoContent)

				wantRowGone(t, app, phoneKey)
				phone.Get("/api/auth/me").WantError(t, http.StatusUnauthorized, "not_authenticated")
				wantAuthenticatedAs(t, devs[1], u)
				wantAuthenticatedAs(t, devs[2], u)
				if n := len(mySessions(t, devs[1])); n != 2 {
					t.Fatalf("%d sessions left, want 2", n)
				}
			})

			t.Run("revoking the current session logs it out", func(t *testing.T) {
				u := register(t, app, "quitter")
				cl := app.Browser()
				login(t, cl, u.Username)
				id := current(t, mySessions(t, cl)).ID

				res := cl.Delete("/api/auth/sessions/"+id).Want(t, http.StatusNoContent)
				res.WantCookieDeleted(t)
				wantAnonymous(t, cl)
			})

			t.Run("logout-all ends every session of the user, this one included, and no one else's", func(t *testing.T) {
				u := register(t, app, "everywhere")
				other := register(t, app, "bystander")
				bystander := app.Browser()
				login(t, bystander, other.Username)
				devs := devices(t, app, u)
				keys := []string{devs[0].SessionKey(), devs[1].SessionKey(), devs[2].SessionKey()}

				res := devs[2].Post("/api/auth/logout-all", nil).Want(t, http.StatusNoContent)

				res.WantCookieDeleted(t)
				for i, d := range devs {
					wantRowGone(t, app, keys[i])
					wantAnonymous(t, d)
				}
				wantAuthenticatedAs(t, bystander, other)
			})
		})

		t.Run("404", func(t *testing.T) {
			t.Run("an id that is not one of my sessions", func(t *testing.T) {
				u := register(t, app, "prober")
				victim := register(t, app, "victim")
				cl := app.Browser()
				login(t, cl, u.Username)
				theirs := app.Browser()
				login(t, theirs, victim.Username)
				theirID := current(t, mySessions(t, theirs)).ID

				for _, id := range []string{"0000000000000000", theirID, "not-even-hex", strings.Repeat("a", 500)} {
					cl.Delete("/api/auth/sessions/"+id).WantError(t, http.StatusNotFound, "not_found")
				}
				wantAuthenticatedAs(t, theirs, victim)
			})

			t.Run("an id already revoked", func(t *testing.T) {
				u := register(t, app, "twice")
				devs := devices(t, app, u)
				id := current(t, mySessions(t, devs[0])).ID
				devs[1].Delete("/api/auth/sessions/"+id).Want(t, http.StatusNoContent)
				devs[1].Delete("/api/auth/sessions/"+id).WantError(t, http.StatusNotFound, "not_found")
			})
		})

		t.Run("401", func(t *testing.T) {
			for _, c := range clients(app) {
				t.Run(c.name+": anonymous", func(t *testing.T) {
					cl := c.new()
					cl.Get("/api/auth/sessions").WantError(t, http.StatusUnauthorized, "not_authenticated")
					cl.Delete("/api/auth/sessions/0000000000000000").WantError(t, http.StatusUnauthorized, "not_authenticated")
					cl.Post("/api/auth/logout-all", nil).WantError(t, http.StatusUnauthorized, "not_authenticated")
				})
			}
		})
	})
}

func TestAPasswordChangeEndsTheOtherSessionsInTheStore(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, app *apitest.App, clk *apitest.Clock) {
		u := register(t, app, "rekeyed")
		devs := devices(t, app, u)
		others := []string{devs[0].SessionKey(), devs[1].SessionKey()}

		devs[2].Post("/api/auth/password", map[string]string{
			"old_password": strongPassword, "new_password": "another correct horse",
		}).Want(t, http.StatusNoContent)

		for _, key := range others {
			wantRowGone(t, app, key)
		}
		if list := mySessions(t, devs[2]); len(list) != 1 || !list[0].Current {
			t.Fatalf("my sessions after a password change: %+v, want only this one", list)
		}
	})
}
