package auth_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/djsessions/api/internal/apitest"
	"github.com/djsessions/api/internal/session"
)

// newPassword is what the tests change strongPassword to.
const newPassword = "velvet-harbour-compass"

type passwordChange struct {
	OldPassword string `json:"old_password"`
	NewPassword string `json:"new_password"`
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, app *apitest.App, clk *apitest.Clock) {
		t.Run("204", func(t *testing.T) {
			for _, c := range apitest.Transports(app) {
				t.Run(c.Name+": this client stays logged in on a new key; the user's other sessions end; another user's do not", func(t *testing.T) {
					u, other := register(t, app, "changer_"+c.Name), register(t, app, "bystander_"+c.Name)
					cl, second, third := c.New(), app.Browser(), app.Browser()
					login(t, cl, u.Username)
					login(t, second, u.Username)
					login(t, third, other.Username)
					cl.Post("/api/session/visit", nil).Want(t, http.StatusOK)
					old, secondKey := cl.SessionKey(), second.SessionKey()

					res := cl.Post("/api/auth/password", passwordChange{strongPassword, newPassword}).Want(t, http.StatusNoContent)

					fresh := cl.SessionKey()
					if fresh == old || !session.ValidKey(fresh) {
						t.Fatalf("after the change the key is %q, was %q", fresh, old)
					}
					c.WantIssued(t, res, fresh)
					wantNotStored(t, app, old)
					wantAuthenticatedAs(t, cl, u)
					if v := decode[visit](t, cl.Post("/api/session/visit", nil).Want(t, http.StatusOK)); v.Count != 2 {
						t.Fatalf("visit_count %d after the change, want 2: the session's data was lost", v.Count)
					}
					hash := accountOf(t, app, u.ID).Password
					if got := value[string](t, stored(t, app, fresh), "_auth_user_hash"); got != sessionAuthHash(hash) {
						t.Fatalf("_auth_user_hash %q, want the new password hash's", got)
					}

					c.WantForgotten(t, wantAnonymous(t, c.WithKey(old)))
					wantAnonymous(t, second).WantCookieDeleted(t)
					wantNotStored(t, app, secondKey)
					wantAuthenticatedAs(t, third, other)
				})
			}

			t.Run("the new password logs in, the old one does not", func(t *testing.T) {
				u := register(t, app, "relogin")
				b := app.Browser()
				login(t, b, u.Username)
				b.Post("/api/auth/password", passwordChange{strongPassword, newPassword}).Want(t, http.StatusNoContent)

				if hash := accountOf(t, app, u.ID).Password; !strings.HasPrefix(hash, hashPrefix) {
					t.Fatalf("the new hash is %q, want pbkdf2_sha256 at %d iterations", hash, apitest.PasswordIterations)
				}
				app.Browser().Post("/api/auth/login", credentials{Username: u.Username, Password: newPassword}).Want(t, http.StatusOK)
				app.Browser().Post("/api/auth/login", credentials{Username: u.Username, Password: strongPassword}).
					WantError(t, http.StatusUnauthorized, "invalid_credentials")
			})
		})

		t.Run("400", func(t *testing.T) {
			cases := []struct {
				name  string
				body  any
				field string
				says  string
			}{
				{"a wrong old password", passwordChange{"not-the-password", newPassword}, "old_password", ""},
				{"a wrong old password, even with a weak new one", passwordChange{"not-the-password", "123"}, "old_password", ""},
				{"a new password that is too short", passwordChange{strongPassword, "k7#qZ"}, "new_password", "too short"},
				{"a new password that is common", passwordChange{strongPassword, "password123"}, "new_password", "too common"},
				{"a new password like the username", passwordChange{strongPassword, "weakling_user1"}, "new_password", "too similar"},
				{"no new password", map[string]string{"old_password": strongPassword}, "new_password", "too short"},
				{"a new password that is not a string", `{"old_password":"quartz-lantern-meadow","new_password":12345678}`, "new_password", ""},
				{"an unknown field", map[string]string{"old_password": strongPassword, "new_password": newPassword, "user_id": "1"}, "user_id", ""},
			}
			u := register(t, app, "weakling_user")
			b := app.Browser()
			login(t, b, u.Username)
			for _, tc := range cases {
				t.Run(tc.name+": nothing changes", func(t *testing.T) {
					key := b.SessionKey()
					hash := accountOf(t, app, u.ID).Password

					res := b.Post("/api/auth/password", tc.body)
					fields := res.WantError(t, http.StatusBadRequest, "validation_failed")

					wantFields(t, fields, tc.field)
					if !strings.Contains(fields[tc.field], tc.says) {
						t.Fatalf("fields.%s %q does not say %q", tc.field, fields[tc.field], tc.says)
					}
					wantNoKeyChange(t, res)
					if got := accountOf(t, app, u.ID).Password; got != hash {
						t.Fatalf("the password hash changed after a rejected change")
					}
					if b.SessionKey() != key {
						t.Fatalf("the key changed after a rejected change")
					}
					wantAuthenticatedAs(t, b, u)
				})
			}
		})

		t.Run("401", func(t *testing.T) {
			for _, c := range apitest.Transports(app) {
				t.Run(c.Name+": an anonymous client", func(t *testing.T) {
					c.New().Post("/api/auth/password", passwordChange{strongPassword, newPassword}).
						WantError(t, http.StatusUnauthorized, "not_authenticated")
				})

				t.Run(c.Name+": a client that logged out", func(t *testing.T) {
					u := register(t, app, "loggedout_"+c.Name)
					cl := c.New()
					login(t, cl, u.Username)
					cl.Post("/api/auth/logout", nil).Want(t, http.StatusNoContent)

					cl.Post("/api/auth/password", passwordChange{strongPassword, newPassword}).
						WantError(t, http.StatusUnauthorized, "not_authenticated")
					if a := accountOf(t, app, u.ID); !strings.HasPrefix(a.Password, "pbkdf2_sha256$") || a.Password == "" {
						t.Fatalf("password hash %q", a.Password)
					}
					app.Browser().Post("/api/auth/login", credentials{Username: u.Username, Password: strongPassword}).Want(t, http.StatusOK)
				})
			}
		})
	})
}

// changePassword asks, from cl, to change its user's password from old to
// newPassword.
func changePassword(cl *apitest.Client, old string) *apitest.Response {
	return cl.Post("/api/auth/password", passwordChange{old, newPassword})
}

// failChange makes a password change from cl with a wrong old password,
// which must be refused as one, not throttled.
func failChange(t *testing.T, cl *apitest.Client) {
	t.Helper()
	fields := changePassword(cl, "not-the-password").WantError(t, http.StatusBadRequest, "validation_failed")
	wantFields(t, fields, "old_password")
}

func TestChangePasswordThrottle(t *testing.T) {
	t.Parallel()
	eachThrottledDB(t, func(t *testing.T, fresh func(*testing.T, ...string) (*apitest.App, *apitest.Clock), _ func(testing.TB) string) {
		t.Run("429", func(t *testing.T) {
			t.Run("after 3 wrong old passwords even the right one is refused, until the oldest leaves the window; nothing changes meanwhile", func(t *testing.T) {
				app, clk := fresh(t)
				u := register(t, app, "alice")
				b := app.Browser()
				login(t, b, u.Username)
				key, hash := b.SessionKey(), accountOf(t, app, u.ID).Password
				failChange(t, b)
				clk.Advance(time.Minute)
				failChange(t, b)
				clk.Advance(time.Minute)
				failChange(t, b)
				clk.Advance(time.Minute)

				res := changePassword(b, strongPassword)

				wantThrottled(t, res, limits.Window-3*time.Minute)
				if got := accountOf(t, app, u.ID).Password; got != hash {
					t.Fatalf("the password hash changed while throttled")
				}
				if b.SessionKey() != key {
					t.Fatalf("the key changed while throttled")
				}
				wantAuthenticatedAs(t, b, u)

				clk.Advance(limits.Window - 3*time.Minute) // as Retry-After said
				changePassword(b, strongPassword).Want(t, http.StatusNoContent)
			})

			t.Run("wrong old passwords count as failed logins of the username: its logins are refused", func(t *testing.T) {
				app, _ := fresh(t)
				u := register(t, app, "alice")
				b := app.Browser()
				login(t, b, u.Username)

				for range limits.PerUser {
					failChange(t, b)
				}

				wantThrottled(t, attempt(app.Browser(), u.Username, strongPassword), limits.Window)
			})

			t.Run("failed logins of the username refuse its password changes", func(t *testing.T) {
				app, _ := fresh(t)
				u := register(t, app, "alice")
				b := app.Browser()
				login(t, b, u.Username)

				for range limits.PerUser {
					fail(t, app.Browser(), u.Username)
				}

				wantThrottled(t, changePassword(b, strongPassword), limits.Window)
			})

			t.Run("a wrong old password counts against the client's address", func(t *testing.T) {
				app, _ := fresh(t)
				u := register(t, app, "alice")
				register(t, app, "carol")
				b := app.Browser()
				login(t, b, u.Username)
				spray(t, app.Browser(), "guess", limits.PerAddr-1)

				failChange(t, b)

				wantThrottled(t, attempt(app.Browser(), "carol", strongPassword), limits.Window)
			})
		})

		t.Run("204", func(t *testing.T) {
			t.Run("the right old password clears the username's failures, as a login does", func(t *testing.T) {
				app, _ := fresh(t)
				u := register(t, app, "alice")
				b := app.Browser()
				login(t, b, u.Username)
				for range limits.PerUser - 1 {
					failChange(t, b)
				}

				changePassword(b, strongPassword).Want(t, http.StatusNoContent)

				for range limits.PerUser - 1 {
					fail(t, app.Browser(), u.Username)
				}
				app.Browser().Post("/api/auth/login", credentials{Username: u.Username, Password: newPassword}).Want(t, http.StatusOK)
			})
		})
	})
}
