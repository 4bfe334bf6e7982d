package auth_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/djsessions/api/internal/apitest"
	"github.com/djsessions/api/internal/testdb"
)

// idleTimeout is the SESSION_IDLE_TIMEOUT of these tests. The activity it
// is measured from is recorded at most once per activityStep (a tenth of
// the timeout, at most a minute), so that read-only traffic writes nothing.
const (
	idleTimeout  = 10 * time.Minute
	activityStep = time.Minute
)

// eachIdleDB runs f as eachDB does, on an API whose logins end after
// idleTimeout without a request.
func eachIdleDB(t *testing.T, f func(t *testing.T, app *apitest.App, clk *apitest.Clock)) {
	t.Helper()
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		clk := apitest.NewClock()
		app := apitest.New(t, apitest.Options{DatabaseURL: newURL(t), IdleTimeout: idleTimeout, Now: clk.Now})
		f(t, app, clk)
	})
}

func TestIdleTimeout(t *testing.T) {
	t.Parallel()
	eachIdleDB(t, func(t *testing.T, app *apitest.App, clk *apitest.Clock) {
		t.Run("200", func(t *testing.T) {
			for _, c := range apitest.Transports(app) {
				t.Run(c.Name+": requests closer together than the timeout keep the login alive for longer than the timeout", func(t *testing.T) {
					u := register(t, app, "busy_"+c.Name)
					cl := c.New()
					login(t, cl, u.Username)

					for range 6 { // 54 minutes in all
						clk.Advance(idleTimeout - time.Minute)
						cl.Get("/api/auth/me").Want(t, http.StatusOK)
					}

					wantAuthenticatedAs(t, cl, u)
				})

				t.Run(c.Name+": read-only requests seconds apart keep the login alive, though most record nothing", func(t *testing.T) {
					u := register(t, app, "trickle_"+c.Name)
					cl := c.New()
					login(t, cl, u.Username)

					for range 2 * int(idleTimeout/(20*time.Second)) { // 20 minutes in all
						clk.Advance(20 * time.Second)
						cl.Get("/api/auth/me").Want(t, http.StatusOK)
					}

					wantAuthenticatedAs(t, cl, u)
				})

				t.Run(c.Name+": requests to other /api routes keep the login alive too", func(t *testing.T) {
					u := register(t, app, "shopper_"+c.Name)
					cl := c.New()
					login(t, cl, u.Username)

					for _, path := range []string{"/api/session", "/api/session/preferences", "/api/session", "/api/session/preferences"} {
						clk.Advance(idleTimeout - time.Minute)
						cl.Get(path).Want(t, http.StatusOK)
					}

					cl.Get("/api/auth/me").Want(t, http.StatusOK)
				})

				t.Run(c.Name+": an idle login's request to another /api route proceeds anonymously, and the session is flushed", func(t *testing.T) {
					u := register(t, app, "wanderer_"+c.Name)
					cl := c.New()
					login(t, cl, u.Username)
					cl.Post("/api/session/visit", nil).Want(t, http.StatusOK)
					key := cl.SessionKey()

					clk.Advance(idleTimeout + time.Second)
					res := cl.Get("/api/session").Want(t, http.StatusOK)

					if got := decode[struct {
						Keys []string `json:"keys"`
					}](t, res); len(got.Keys) != 0 {
						t.Fatalf("keys %v after the idle flush, want none", got.Keys)
					}
					c.WantForgotten(t, res)
					wantNotStored(t, app, key)
					cl.Get("/api/auth/me").WantError(t, http.StatusUnauthorized, "not_authenticated")
				})

				t.Run(c.Name+": a request exactly the timeout after the last one is still in time", func(t *testing.T) {
					u := register(t, app, "punctual_"+c.Name)
					cl := c.New()
					login(t, cl, u.Username)
					key := cl.SessionKey()

					clk.Advance(idleTimeout)
					cl.Get("/api/auth/me").Want(t, http.StatusOK)

					if k := cl.SessionKey(); k != key {
						t.Fatalf("the key changed from %q to %q", key, k)
					}
					wantAuthenticatedAs(t, cl, u)
				})

				t.Run(c.Name+": the session check after more than the timeout answers authenticated:false, and flushes the session", func(t *testing.T) {
					u := register(t, app, "idlecheck_"+c.Name)
					cl := c.New()
					login(t, cl, u.Username)
					cl.Post("/api/session/visit", nil).Want(t, http.StatusOK)
					key := cl.SessionKey()

					clk.Advance(idleTimeout + time.Second)
					res := wantAnonymous(t, cl)

					c.WantForgotten(t, res)
					wantNotStored(t, app, key)
					if v := decode[visit](t, cl.Post("/api/session/visit", nil).Want(t, http.StatusOK)); v.Count != 1 {
						t.Fatalf("visit_count %d after the idle flush, want 1: the session's data survived", v.Count)
					}
					cl.Get("/api/auth/me").WantError(t, http.StatusUnauthorized, "not_authenticated")
				})
			}
		})

		t.Run("401", func(t *testing.T) {
			for _, c := range apitest.Transports(app) {
				t.Run(c.Name+": /me after more than the timeout is session_expired; the session is deleted and the key forgotten", func(t *testing.T) {
					u := register(t, app, "idle_"+c.Name)
					cl := c.New()
					login(t, cl, u.Username)
					key := cl.SessionKey()

					clk.Advance(idleTimeout + time.Second)
					res := cl.Get("/api/auth/me")

					res.WantError(t, http.StatusUnauthorized, "session_expired")
					c.WantForgotten(t, res)
					wantNotStored(t, app, key)
					if k := cl.SessionKey(); k != "" {
						t.Fatalf("the client still holds key %q", k)
					}
					// Expired once: from now on the client is merely anonymous,
					// and so is anyone replaying the old key.
					cl.Get("/api/auth/me").WantError(t, http.StatusUnauthorized, "not_authenticated")
					c.WithKey(key).Get("/api/auth/me").WantError(t, http.StatusUnauthorized, "not_authenticated")
				})

				t.Run(c.Name+": a password change after more than the timeout is session_expired, and the password stays", func(t *testing.T) {
					u := register(t, app, "idlechanger_"+c.Name)
					cl := c.New()
					login(t, cl, u.Username)
					key := cl.SessionKey()
					hash := accountOf(t, app, u.ID).Password

					clk.Advance(idleTimeout + time.Second)
					res := cl.Post("/api/auth/password", passwordChange{strongPassword, newPassword})

					res.WantError(t, http.StatusUnauthorized, "session_expired")
					c.WantForgotten(t, res)
					wantNotStored(t, app, key)
					if got := accountOf(t, app, u.ID).Password; got != hash {
						t.Fatalf("the password hash changed to %q", got)
					}
				})
			}

			t.Run("the idle time counts from the last request, not from the login", func(t *testing.T) {
				u := register(t, app, "lapsed")
				b := app.Browser()
				login(t, b, u.Username)
				clk.Advance(idleTimeout - time.Minute)
				b.Get("/api/auth/me").Want(t, http.StatusOK)
				clk.Advance(idleTimeout) // 19 minutes after the login
				b.Get("/api/auth/me").Want(t, http.StatusOK)

				clk.Advance(idleTimeout + time.Second)

				b.Get("/api/auth/me").WantError(t, http.StatusUnauthorized, "session_expired")
			})

			t.Run("a login of the user elsewhere does not keep an idle session alive", func(t *testing.T) {
				u := register(t, app, "twoplaces")
				idle, busy := app.Browser(), app.Browser()
				login(t, idle, u.Username)
				login(t, busy, u.Username)

				for range 3 {
					clk.Advance(idleTimeout / 2)
					busy.Get("/api/auth/me").Want(t, http.StatusOK)
				}

				idle.Get("/api/auth/me").WantError(t, http.StatusUnauthorized, "session_expired")
				wantAuthenticatedAs(t, busy, u)
			})
		})
	})
}

func TestIdleActivityIsWrittenAtMostOncePerStep(t *testing.T) {
	t.Parallel()
	eachIdleDB(t, func(t *testing.T, app *apitest.App, clk *apitest.Clock) {
		for _, c := range apitest.Transports(app) {
			t.Run(c.Name+": read-only requests within a step leave the row untouched; the first one after it records the activity", func(t *testing.T) {
				u := register(t, app, "stepper_"+c.Name)
				cl := c.New()
				login(t, cl, u.Username)
				key := cl.SessionKey()
				before, _ := app.Stored(t, key)

				// 59 seconds of checks, /me and the session's keys: any save
				// would re-sign the data at a new time and move the stored expiry.
				for _, d := range []time.Duration{10, 10, 10, 10, 10, 9} {
					clk.Advance(d * time.Second)
					wantNoKeyChange(t, cl.Get("/api/auth/me").Want(t, http.StatusOK))
					_, res := checkSession(t, cl)
					wantNoKeyChange(t, res)
					wantNoKeyChange(t, cl.Get("/api/session").Want(t, http.StatusOK))
				}
				app.WantStoredUnchanged(t, key, before)

				clk.Advance(2 * time.Second) // 61 seconds after the login
				cl.Get("/api/auth/me").Want(t, http.StatusOK)

				if k := cl.SessionKey(); k != key {
					t.Fatalf("recording the activity changed the key from %q to %q", key, k)
				}
				if got := value[int64](t, stored(t, app, key), "_last_activity"); got != clk.Now().Unix() {
					t.Fatalf("_last_activity %d, want now, %d", got, clk.Now().Unix())
				}

				// And then nothing again for the next step.
				recorded, _ := app.Stored(t, key)
				for range 5 {
					clk.Advance(10 * time.Second)
					cl.Get("/api/auth/me").Want(t, http.StatusOK)
				}
				app.WantStoredUnchanged(t, key, recorded)
			})
		}

		t.Run("a login without recorded activity, as Django writes one, gets it at its next request and stays logged in", func(t *testing.T) {
			u := register(t, app, "djangologin")
			s := app.Sessions.New()
			for k, v := range map[string]string{
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
			clk.Advance(idleTimeout + time.Hour)

			cl := apitest.Transports(app)[0].WithKey(s.Key())
			cl.Get("/api/auth/me").Want(t, http.StatusOK)

			if got := value[int64](t, stored(t, app, s.Key()), "_last_activity"); got != clk.Now().Unix() {
				t.Fatalf("_last_activity %d, want now, %d", got, clk.Now().Unix())
			}
		})
	})
}

func TestNoIdleTimeout(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, app *apitest.App, clk *apitest.Clock) {
		for _, c := range apitest.Transports(app) {
			t.Run(c.Name+": with SESSION_IDLE_TIMEOUT 0 a login idle for days stays, on the same key", func(t *testing.T) {
				u := register(t, app, "patient_"+c.Name)
				cl := c.New()
				login(t, cl, u.Username)
				key := cl.SessionKey()

				clk.Advance(7 * 24 * time.Hour)
				cl.Get("/api/auth/me").Want(t, http.StatusOK)
				if cl.SessionKey() != key {
					t.Fatalf("the key changed from %q to %q", key, cl.SessionKey())
				}
				// The activity is still recorded, for "my sessions", at most
				// once a minute.
				after, _ := app.Stored(t, key)
				clk.Advance(30 * time.Second)
				wantAuthenticatedAs(t, cl, u)
				app.WantStoredUnchanged(t, key, after)
			})
		}
	})
}
