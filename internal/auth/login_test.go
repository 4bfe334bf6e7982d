package auth_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/djsessions/api/internal/apitest"
	"github.com/djsessions/api/internal/password"
	"github.com/djsessions/api/internal/session"
)

// djangoHash is the password "s3cret" as Django 3.2 hashed it, at 260,000
// iterations (DJANGO-VECTORS.md).
const djangoHash = "pbkdf2_sha256$260000$abcdefghijklmnopqrstuv$HllDmSMhdY412FStcPlsVqa0YPPMNCYOHqBcwDMu6aI="

func TestLogin(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, app *apitest.App, clk *apitest.Clock) {
		t.Run("200", func(t *testing.T) {
			for _, c := range apitest.Transports(app) {
				t.Run(c.Name+": answers the user and the session, under a new key; the old key is dead", func(t *testing.T) {
					u := register(t, app, "rotated_"+c.Name)
					cl := c.New()
					cl.Post("/api/session/visit", nil).Want(t, http.StatusOK)
					old := cl.SessionKey()

					res := cl.Post("/api/auth/login", credentials{Username: u.Username, Password: strongPassword}).Want(t, http.StatusOK)

					got := decode[loggedIn](t, res)
					if got.User != (userRef{u.ID, u.Username}) {
						t.Fatalf("user %+v, want %+v", got.User, u)
					}
					if want := (info{defaultAge, clk.Now().Add(defaultAge * time.Second), true}); !sameInfo(got.Session, want) {
						t.Fatalf("session %+v, want %+v", got.Session, want)
					}
					fresh := cl.SessionKey()
					if fresh == old || !session.ValidKey(fresh) {
						t.Fatalf("after login the key is %q, was %q", fresh, old)
					}
					c.WantIssued(t, res, fresh)
					wantNotStored(t, app, old)

					replay := c.WithKey(old)
					c.WantForgotten(t, wantAnonymous(t, replay))
					wantAuthenticatedAs(t, cl, u)
				})

				t.Run(c.Name+": the anonymous session's data survives the login", func(t *testing.T) {
					u := register(t, app, "keeper_"+c.Name)
					cl := c.New()
					cl.Post("/api/session/visit", nil).Want(t, http.StatusOK)
					cl.Post("/api/session/visit", nil).Want(t, http.StatusOK)
					cl.Put("/api/session/preferences", map[string]string{"theme": "dark"}).Want(t, http.StatusOK)

					login(t, cl, u.Username)

					if v := decode[visit](t, cl.Post("/api/session/visit", nil).Want(t, http.StatusOK)); v.Count != 3 {
						t.Fatalf("visit_count %d after login, want 3", v.Count)
					}
					if p := decode[map[string]string](t, cl.Get("/api/session/preferences").Want(t, http.StatusOK)); p["theme"] != "dark" {
						t.Fatalf("preferences %v after login, want theme dark", p)
					}
				})

				t.Run(c.Name+": logging in as B on A's session flushes A's data", func(t *testing.T) {
					a, b := register(t, app, "first_"+c.Name), register(t, app, "second_"+c.Name)
					cl := c.New()
					login(t, cl, a.Username)
					cl.Post("/api/session/visit", nil).Want(t, http.StatusOK)
					cl.Post("/api/session/visit", nil).Want(t, http.StatusOK)
					cl.Put("/api/session/preferences", map[string]string{"theme": "dark"}).Want(t, http.StatusOK)
					asA := cl.SessionKey()

					login(t, cl, b.Username)

					wantNotStored(t, app, asA)
					wantAuthenticatedAs(t, cl, b)
					if v := decode[visit](t, cl.Post("/api/session/visit", nil).Want(t, http.StatusOK)); v.Count != 1 {
						t.Fatalf("visit_count %d after B logged in on A's session, want 1", v.Count)
					}
					if p := decode[map[string]string](t, cl.Get("/api/session/preferences").Want(t, http.StatusOK)); p["theme"] != "light" {
						t.Fatalf("preferences %v after B logged in on A's session, want A's dark theme gone", p)
					}
				})

				t.Run(c.Name+": the same user logging in again gets a new key and keeps the data", func(t *testing.T) {
					u := register(t, app, "again_"+c.Name)
					cl := c.New()
					login(t, cl, u.Username)
					cl.Post("/api/session/visit", nil).Want(t, http.StatusOK)
					first := cl.SessionKey()

					login(t, cl, u.Username)

					if k := cl.SessionKey(); k == first || !session.ValidKey(k) {
						t.Fatalf("the second login kept key %q", k)
					}
					wantNotStored(t, app, first)
					if v := decode[visit](t, cl.Post("/api/session/visit", nil).Want(t, http.StatusOK)); v.Count != 2 {
						t.Fatalf("visit_count %d after logging in again, want 2", v.Count)
					}
				})
			}

			t.Run("the user's own session from before a password change is flushed, not inherited", func(t *testing.T) {
				u := register(t, app, "stale")
				cl, elsewhere := app.Browser(), app.Browser()
				login(t, cl, u.Username)
				cl.Post("/api/session/visit", nil).Want(t, http.StatusOK)
				stale := cl.SessionKey()
				login(t, elsewhere, u.Username)
				elsewhere.Post("/api/auth/password", passwordChange{strongPassword, newPassword}).Want(t, http.StatusNoContent)

				cl.Post("/api/auth/login", credentials{Username: u.Username, Password: newPassword}).Want(t, http.StatusOK)

				wantNotStored(t, app, stale)
				wantAuthenticatedAs(t, cl, u)
				if v := decode[visit](t, cl.Post("/api/session/visit", nil).Want(t, http.StatusOK)); v.Count != 1 {
					t.Fatalf("visit_count %d, want 1: the stale session's data was inherited", v.Count)
				}
			})

			t.Run("the session holds Django's login keys and the seed's", func(t *testing.T) {
				u := register(t, app, "keys")
				clk.Advance(time.Hour)
				b := app.Browser()
				login(t, b, u.Username)

				s := stored(t, app, b.SessionKey())
				if got := value[string](t, s, "_auth_user_id"); got != itoa(u.ID) {
					t.Fatalf("_auth_user_id %q, want the string %q", got, itoa(u.ID))
				}
				if got := value[string](t, s, "_auth_user_backend"); got != "django.contrib.auth.backends.ModelBackend" {
					t.Fatalf("_auth_user_backend %q", got)
				}
				hash := accountOf(t, app, u.ID).Password
				if got, want := value[string](t, s, "_auth_user_hash"), sessionAuthHash(hash); got != want {
					t.Fatalf("_auth_user_hash %q, want Django's %q", got, want)
				}
				if got := value[int64](t, s, "user_id"); got != u.ID {
					t.Fatalf("user_id %d, want %d", got, u.ID)
				}
				if got := value[string](t, s, "username"); got != u.Username {
					t.Fatalf("username %q, want %q", got, u.Username)
				}
				if !value[bool](t, s, "is_logged_in") {
					t.Fatalf("is_logged_in false")
				}
				if got := value[time.Time](t, s, "login_time"); !got.Equal(clk.Now()) {
					t.Fatalf("login_time %v, want %v", got, clk.Now())
				}
			})

			t.Run("last_login is set in auth_user", func(t *testing.T) {
				u := register(t, app, "lastlogin")
				clk.Advance(time.Hour)
				login(t, app.Browser(), u.Username)

				if got := accountOf(t, app, u.ID).LastLogin; got == nil || !got.Equal(clk.Now()) {
					t.Fatalf("last_login %v, want %v", got, clk.Now())
				}
			})

			t.Run("a fullwidth username logs in as its NFKC form", func(t *testing.T) {
				u := register(t, app, "wide")
				b := app.Browser()
				login(t, b, "ｗｉｄｅ")
				wantAuthenticatedAs(t, b, u)
			})

			t.Run("a hash cheaper than the hasher's is upgraded on login", func(t *testing.T) {
				u := register(t, app, "upgraded")
				exec(t, app, "UPDATE auth_user SET password = ? WHERE id = ?", password.NewHasher(500).Make(strongPassword), u.ID)

				b := app.Browser()
				login(t, b, u.Username)

				if hash := accountOf(t, app, u.ID).Password; !strings.HasPrefix(hash, hashPrefix) {
					t.Fatalf("after login the hash is %q, want it re-made at %d iterations", hash, apitest.PasswordIterations)
				}
				wantAuthenticatedAs(t, b, u) // the session's auth hash is the new hash's
				login(t, app.Browser(), u.Username)
			})

			t.Run("a hash made by Django 3.2 logs its user in", func(t *testing.T) {
				u := register(t, app, "djangouser")
				exec(t, app, "UPDATE auth_user SET password = ? WHERE id = ?", djangoHash, u.ID)

				b := app.Browser()
				b.Post("/api/auth/login", credentials{Username: u.Username, Password: "s3cret"}).Want(t, http.StatusOK)

				wantAuthenticatedAs(t, b, u)
			})
		})

		t.Run("401", func(t *testing.T) {
			t.Run("an unknown user, a wrong password and an inactive account get the same body", func(t *testing.T) {
				u := register(t, app, "victim")
				inactive := register(t, app, "dormant")
				exec(t, app, "UPDATE auth_user SET is_active = ? WHERE id = ?", false, inactive.ID)

				attempts := map[string]credentials{
					"unknown user":   {Username: "nobody", Password: strongPassword},
					"wrong password": {Username: u.Username, Password: strongPassword + "x"},
					"inactive user":  {Username: inactive.Username, Password: strongPassword},
				}
				var first []byte
				for name, body := range attempts {
					res := app.Browser().Post("/api/auth/login", body)
					res.WantError(t, http.StatusUnauthorized, "invalid_credentials")
					if first == nil {
						first = res.Body
					} else if !bytes.Equal(res.Body, first) {
						t.Fatalf("%s answered %s, another attempt %s", name, res.Body, first)
					}
				}
			})

			t.Run("usernames are case-sensitive", func(t *testing.T) {
				register(t, app, "Carol")
				app.Browser().Post("/api/auth/login", credentials{Username: "carol", Password: strongPassword}).
					WantError(t, http.StatusUnauthorized, "invalid_credentials")
			})

			for _, c := range apitest.Transports(app) {
				t.Run(c.Name+": a failed login leaves the session as it was", func(t *testing.T) {
					u := register(t, app, "steady_"+c.Name)
					cl := c.New()
					login(t, cl, u.Username)
					key := cl.SessionKey()
					before, _ := app.Stored(t, key)

					res := cl.Post("/api/auth/login", credentials{Username: u.Username, Password: "wrong-password"})
					res.WantError(t, http.StatusUnauthorized, "invalid_credentials")

					wantNoKeyChange(t, res)
					app.WantStoredUnchanged(t, key, before)
					wantAuthenticatedAs(t, cl, u)
				})
			}

			t.Run("a wrong password does not upgrade a cheap hash", func(t *testing.T) {
				u := register(t, app, "notupgraded")
				cheap := password.NewHasher(500).Make(strongPassword)
				exec(t, app, "UPDATE auth_user SET password = ? WHERE id = ?", cheap, u.ID)

				app.Browser().Post("/api/auth/login", credentials{Username: u.Username, Password: "wrong-password"}).
					WantError(t, http.StatusUnauthorized, "invalid_credentials")

				if hash := accountOf(t, app, u.ID).Password; hash != cheap {
					t.Fatalf("the hash changed to %q after a failed login", hash)
				}
			})
		})

		t.Run("400", func(t *testing.T) {
			cases := []struct{ field, body string }{
				{"username", `{"username":1,"password":"x"}`},
				{"password", `{"username":"x","password":5}`},
				{"remember_me", `{"username":"x","password":"y","remember_me":"yes"}`},
				{"is_staff", `{"username":"x","password":"y","is_staff":true}`},
				{"username", `{"password":"y"}`},
				{"username", `{"username":"","password":"y"}`},
				{"password", `{"username":"x"}`},
				{"password", `{"username":"x","password":""}`},
			}
			for _, tc := range cases {
				t.Run("a bad "+tc.field, func(t *testing.T) {
					fields := app.Browser().Post("/api/auth/login", tc.body).WantError(t, http.StatusBadRequest, "validation_failed")
					wantFields(t, fields, tc.field)
				})
			}
		})
	})
}
