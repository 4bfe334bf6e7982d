package auth_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/djsessions/api/internal/apitest"
)

func TestSessionCheck(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, app *apitest.App, clk *apitest.Clock) {
		t.Run("200", func(t *testing.T) {
			t.Run("a new client is not authenticated, and nothing is stored", func(t *testing.T) {
				count := app.CountStored(t)
				res := wantAnonymous(t, app.Browser())
				wantNoKeyChange(t, res)
				if n := app.CountStored(t); n != count {
					t.Fatalf("%d sessions stored after a check, want %d", n, count)
				}
			})

			t.Run("an anonymous session with data is not authenticated, and is kept", func(t *testing.T) {
				b := app.Browser()
				b.Post("/api/session/visit", nil).Want(t, http.StatusOK)
				before, _ := app.Stored(t, b.SessionKey())

				wantNoKeyChange(t, wantAnonymous(t, b))
				app.WantStoredUnchanged(t, b.SessionKey(), before)
			})

			for _, c := range apitest.Transports(app) {
				t.Run(c.Name+": after login, the user, the login time and the session", func(t *testing.T) {
					u := register(t, app, "checked_"+c.Name)
					cl := c.New()
					loginTime := clk.Now()
					login(t, cl, u.Username)
					clk.Advance(10 * time.Minute)

					got := wantAuthenticatedAs(t, cl, u)

					if got.LoginTime == nil || !got.LoginTime.Equal(loginTime) {
						t.Fatalf("login_time %v, want %v", got.LoginTime, loginTime)
					}
					if want := (info{defaultAge, clk.Now().Add(defaultAge * time.Second), true}); got.Session == nil || !sameInfo(*got.Session, want) {
						t.Fatalf("session %+v, want %+v", got.Session, want)
					}
				})
			}

			for i, inv := range invalidations(app) {
				for _, c := range apitest.Transports(app) {
					t.Run(c.Name+": after "+inv.name+", not authenticated and the session flushed", func(t *testing.T) {
						u := register(t, app, "gone"+itoa(i)+"_"+c.Name)
						cl := c.New()
						login(t, cl, u.Username)
						key := cl.SessionKey()

						inv.change(t, u.ID)
						res := wantAnonymous(t, cl)

						c.WantForgotten(t, res)
						wantNotStored(t, app, key)
						cl.Get("/api/auth/me").WantError(t, http.StatusUnauthorized, "not_authenticated")
					})
				}
			}

			t.Run("a session written by Django for the user is recognised", func(t *testing.T) {
				u := register(t, app, "fromdjango")
				hash := accountOf(t, app, u.ID).Password
				s := app.Sessions.New()
				for k, v := range map[string]string{
					"_auth_user_id":      itoa(u.ID),
					"_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
					"_auth_user_hash":    sessionAuthHash(hash),
				} {
					if err := s.Set(k, v); err != nil {
						t.Fatal(err)
					}
				}
				if err := app.Sessions.Save(context.Background(), s); err != nil {
					t.Fatal(err)
				}

				cl := apitest.Transports(app)[0].WithKey(s.Key())
				wantAuthenticatedAs(t, cl, u)
			})

			t.Run("a login by another Django backend is not authenticated, and is kept", func(t *testing.T) {
				u := register(t, app, "otherbackend")
				hash := accountOf(t, app, u.ID).Password
				s := app.Sessions.New()
				for k, v := range map[string]string{
					"_auth_user_id":      itoa(u.ID),
					"_auth_user_backend": "allauth.account.auth_backends.AuthenticationBackend",
					"_auth_user_hash":    sessionAuthHash(hash),
				} {
					if err := s.Set(k, v); err != nil {
						t.Fatal(err)
					}
				}
				if err := app.Sessions.Save(context.Background(), s); err != nil {
					t.Fatal(err)
				}
				before, _ := app.Stored(t, s.Key())

				cl := apitest.Transports(app)[0].WithKey(s.Key())
				wantNoKeyChange(t, wantAnonymous(t, cl))
				cl.Get("/api/auth/me").WantError(t, http.StatusUnauthorized, "not_authenticated")
				// Flushing it would log the user out of the Django project.
				app.WantStoredUnchanged(t, s.Key(), before)
			})
		})
	})
}

// invalidation is a way the account can change under a live session; the
// session must then be ended, not merely answered anonymously.
type invalidation struct {
	name   string
	change func(t *testing.T, id int64)
}

func invalidations(app *apitest.App) []invalidation {
	return []invalidation{
		{"the user is deleted", func(t *testing.T, id int64) {
			exec(t, app, "DELETE FROM auth_user WHERE id = ?", id)
		}},
		{"the user is set inactive", func(t *testing.T, id int64) {
			exec(t, app, "UPDATE auth_user SET is_active = ? WHERE id = ?", false, id)
		}},
		{"the password hash is changed in the database", func(t *testing.T, id int64) {
			exec(t, app, "UPDATE auth_user SET password = ? WHERE id = ?", djangoHash, id)
		}},
	}
}

// TestInvalidLoginEndsAtItsNextRequest: whatever route a session's next
// request goes to, a login whose account no longer holds it is flushed
// there, and the request proceeds anonymously.
func TestInvalidLoginEndsAtItsNextRequest(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, app *apitest.App, _ *apitest.Clock) {
		for i, inv := range invalidations(app) {
			for _, c := range apitest.Transports(app) {
				t.Run(c.Name+": after "+inv.name+", GET /api/session shows the session emptied and the key forgotten", func(t *testing.T) {
					u := register(t, app, "view"+itoa(i)+"_"+c.Name)
					cl := c.New()
					login(t, cl, u.Username)
					cl.Post("/api/session/visit", nil).Want(t, http.StatusOK)
					key := cl.SessionKey()

					inv.change(t, u.ID)
					res := cl.Get("/api/session").Want(t, http.StatusOK)

					if got := decode[struct {
						Keys []string `json:"keys"`
					}](t, res); len(got.Keys) != 0 {
						t.Fatalf("keys %v, want none: the session was not flushed", got.Keys)
					}
					c.WantForgotten(t, res)
					wantNotStored(t, app, key)
				})

				t.Run(c.Name+": after "+inv.name+", POST /api/session/visit starts over in a new session", func(t *testing.T) {
					u := register(t, app, "visit"+itoa(i)+"_"+c.Name)
					cl := c.New()
					login(t, cl, u.Username)
					cl.Post("/api/session/visit", nil).Want(t, http.StatusOK)
					key := cl.SessionKey()

					inv.change(t, u.ID)
					res := cl.Post("/api/session/visit", nil).Want(t, http.StatusOK)

					if v := decode[visit](t, res); v.Count != 1 {
						t.Fatalf("visit_count %d, want 1: the ended login's data was kept", v.Count)
					}
					wantNotStored(t, app, key)
					if fresh := cl.SessionKey(); fresh == key || fresh == "" {
						t.Fatalf("the key is %q after the flush, was %q", fresh, key)
					}
					wantAnonymous(t, cl)
				})
			}
		}
	})
}

func TestMe(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, app *apitest.App, clk *apitest.Clock) {
		t.Run("200", func(t *testing.T) {
			for _, c := range apitest.Transports(app) {
				t.Run(c.Name+": the logged-in user's account", func(t *testing.T) {
					joined := clk.Now()
					body := map[string]string{"username": "me_" + c.Name, "password": strongPassword, "email": c.Name + "@example.com"}
					u := decode[registered](t, app.Browser().Post("/api/auth/register", body).Want(t, http.StatusCreated))
					clk.Advance(time.Hour)
					cl := c.New()
					login(t, cl, u.Username)
					loggedInAt := clk.Now()
					clk.Advance(time.Minute)

					res := cl.Get("/api/auth/me").Want(t, http.StatusOK)

					got := decode[me](t, res)
					if got.ID != u.ID || got.Username != u.Username || got.Email != u.Email {
						t.Fatalf("got %s, want %+v", res.Body, u)
					}
					if !got.DateJoined.Equal(joined) || got.LastLogin == nil || !got.LastLogin.Equal(loggedInAt) {
						t.Fatalf("date_joined %v and last_login %v, want %v and %v", got.DateJoined, got.LastLogin, joined, loggedInAt)
					}
				})
			}
		})

		t.Run("401", func(t *testing.T) {
			for _, c := range apitest.Transports(app) {
				t.Run(c.Name+": an anonymous client", func(t *testing.T) {
					cl := c.New()
					cl.Get("/api/auth/me").WantError(t, http.StatusUnauthorized, "not_authenticated")
				})

				t.Run(c.Name+": an anonymous session with data, which is kept", func(t *testing.T) {
					cl := c.New()
					cl.Post("/api/session/visit", nil).Want(t, http.StatusOK)
					before, _ := app.Stored(t, cl.SessionKey())

					res := cl.Get("/api/auth/me")
					res.WantError(t, http.StatusUnauthorized, "not_authenticated")
					wantNoKeyChange(t, res)
					app.WantStoredUnchanged(t, cl.SessionKey(), before)
				})
			}
		})
	})
}

func TestReadOnlyRequestsWriteNothing(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, app *apitest.App, clk *apitest.Clock) {
		for _, c := range apitest.Transports(app) {
			for _, remember := range []bool{false, true} {
				name := c.Name + ": browser-session login"
				if remember {
					name = c.Name + ": remembered login"
				}
				t.Run(name+": checks and /me neither write the session nor set a key", func(t *testing.T) {
					u := register(t, app, "reader_"+c.Name+map[bool]string{false: "_a", true: "_b"}[remember])
					cl := c.New()
					cl.Post("/api/auth/login", credentials{Username: u.Username, Password: strongPassword, RememberMe: remember}).Want(t, http.StatusOK)
					key := cl.SessionKey()
					before, _ := app.Stored(t, key)

					for range 3 {
						// Any save now would re-sign the data at a new time
						// and move the stored expiry.
						clk.Advance(5 * time.Second)
						wantNoKeyChange(t, cl.Get("/api/auth/me").Want(t, http.StatusOK))
						clk.Advance(5 * time.Second)
						_, res := checkSession(t, cl)
						wantNoKeyChange(t, res)
					}

					app.WantStoredUnchanged(t, key, before)
					wantAuthenticatedAs(t, cl, u)
				})
			}
		}
	})
}
