package sessionapi_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/djsessions/api/internal/apitest"
	"github.com/djsessions/api/internal/session"
)

func TestVisit(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, app *apitest.App, clk *apitest.Clock) {
		t.Run("200", func(t *testing.T) {
			t.Run("the first visit starts the count and issues a session cookie", func(t *testing.T) {
				res := app.Browser().Post("/api/session/visit", nil).Want(t, http.StatusOK)

				if v := decode[visit](t, res); v.Count != 1 || !v.Created.Equal(clk.Now()) {
					t.Fatalf("got %+v, want visit_count 1 and session_created %v", v, clk.Now())
				}
				ck := res.SessionCookie(t)
				if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Secure || ck.MaxAge != defaultAge {
					t.Fatalf("cookie %q: want HttpOnly, SameSite=Lax, Path=/, not Secure, Max-Age=%d", res.SetCookie("sessionid"), defaultAge)
				}
				if _, found := app.Stored(t, ck.Value); !found {
					t.Fatalf("the cookie's key %s is not stored", ck.Value)
				}
				wantVaryCookie(t, res)
			})

			t.Run("later visits count on and keep session_created", func(t *testing.T) {
				b := app.Browser()
				created := clk.Now()
				b.Post("/api/session/visit", nil).Want(t, http.StatusOK)
				key := b.SessionKey()

				for want := 2; want <= 3; want++ {
					clk.Advance(time.Hour)
					v := decode[visit](t, b.Post("/api/session/visit", nil).Want(t, http.StatusOK))
					if v.Count != want || !v.Created.Equal(created) {
						t.Fatalf("visit %d: got %+v, want visit_count %d and session_created %v", want, v, want, created)
					}
				}
				if b.SessionKey() != key {
					t.Fatalf("the key changed from %s to %s between visits", key, b.SessionKey())
				}
			})

			t.Run("a mobile client gets its key in X-Session-Key and never a cookie", func(t *testing.T) {
				m := app.Mobile()
				res := m.Post("/api/session/visit", nil).Want(t, http.StatusOK)
				key := wantIssuedKey(t, res)
				res.WantNoCookie(t)

				res = m.Post("/api/session/visit", nil).Want(t, http.StatusOK)
				if v := decode[visit](t, res); v.Count != 2 {
					t.Fatalf("second visit: visit_count %d, want 2", v.Count)
				}
				res.WantNoCookie(t)
				if m.SessionKey() != key {
					t.Fatalf("the key changed from %s to %s between visits", key, m.SessionKey())
				}
			})

			t.Run("a request with both a cookie and X-Session-Key uses the header", func(t *testing.T) {
				b, m := app.Browser(), app.Mobile()
				b.Post("/api/session/visit", nil).Want(t, http.StatusOK)
				m.Post("/api/session/visit", nil).Want(t, http.StatusOK)
				m.Post("/api/session/visit", nil).Want(t, http.StatusOK)
				m.Header.Set("Cookie", "sessionid="+b.SessionKey())

				res := m.Post("/api/session/visit", nil).Want(t, http.StatusOK)

				if v := decode[visit](t, res); v.Count != 3 {
					t.Fatalf("visit_count %d, want 3 (the header's session, not the cookie's)", v.Count)
				}
				res.WantNoCookie(t)
			})

			t.Run("a cookie client never sees its key in a header or a body", func(t *testing.T) {
				b := app.Browser()
				requests := []struct {
					method, path string
					body         any
				}{
					{http.MethodPost, "/api/session/visit", nil},
					{http.MethodGet, "/api/session", nil},
					{http.MethodPut, "/api/session/expiry", map[string]int{"seconds": 600}},
					{http.MethodPut, "/api/session/preferences", map[string]string{"theme": "dark"}},
					{http.MethodPost, "/api/session/cycle", nil},
					{http.MethodGet, "/api/session", nil},
					{http.MethodDelete, "/api/session", nil},
				}
				for _, r := range requests {
					before := b.SessionKey()
					res := b.Do(r.method, r.path, r.body)
					if res.StatusCode >= 300 {
						t.Fatalf("%s %s: status %d; body: %s", r.method, r.path, res.StatusCode, res.Body)
					}
					wantKeyHidden(t, res, before, b.SessionKey())
				}
			})
		})
	})
}

func TestShowSession(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, app *apitest.App, clk *apitest.Clock) {
		t.Run("200", func(t *testing.T) {
			t.Run("a new client has no keys and the default expiry, and nothing is stored", func(t *testing.T) {
				count := app.CountStored(t)
				res := app.Browser().Get("/api/session").Want(t, http.StatusOK)

				got := decode[shown](t, res)
				want := shown{Keys: []string{}, Session: info{defaultAge, clk.Now().Add(defaultAge * time.Second), false}}
				if !sameShown(got, want) {
					t.Fatalf("got %+v, want %+v", got, want)
				}
				res.WantNoCookie(t)
				if n := app.CountStored(t); n != count {
					t.Fatalf("%d sessions stored after a read, want %d", n, count)
				}
			})

			t.Run("lists the client's keys but not internal ones", func(t *testing.T) {
				b := app.Browser()
				b.Post("/api/session/visit", nil).Want(t, http.StatusOK)
				b.Put("/api/session/expiry", map[string]int{"seconds": 600}).Want(t, http.StatusOK)

				got := decode[shown](t, b.Get("/api/session").Want(t, http.StatusOK))
				if !slices.Equal(got.Keys, []string{"session_created", "visit_count"}) {
					t.Fatalf("keys %q, want [session_created visit_count] (no _session_expiry)", got.Keys)
				}
				if got.Session.ExpiryAge != 600 {
					t.Fatalf("expiry_age %d, want the 600 just set", got.Session.ExpiryAge)
				}
			})

			t.Run("the session info counts down to an expiry date", func(t *testing.T) {
				b := app.Browser()
				at := clk.Now().Add(time.Hour)
				b.Put("/api/session/expiry", map[string]string{"at": at.Format(time.RFC3339)}).Want(t, http.StatusOK)
				clk.Advance(10 * time.Minute)

				got := decode[shown](t, b.Get("/api/session").Want(t, http.StatusOK)).Session
				if want := (info{3000, at, false}); !sameInfo(got, want) {
					t.Fatalf("got %+v, want %+v", got, want)
				}
			})

			t.Run("a read writes nothing and sets no cookie, but varies on Cookie", func(t *testing.T) {
				for _, c := range apitest.Transports(app) {
					t.Run(c.Name, func(t *testing.T) {
						cl := c.New()
						cl.Post("/api/session/visit", nil).Want(t, http.StatusOK)
						key := cl.SessionKey()
						before, _ := app.Stored(t, key)
						clk.Advance(time.Minute) // a save now would move the stored expiry and re-sign the data

						res := cl.Get("/api/session").Want(t, http.StatusOK)

						app.WantStoredUnchanged(t, key, before)
						res.WantNoCookie(t)
						if v := res.Header.Values(session.HeaderKey); len(v) != 0 {
							t.Fatalf("X-Session-Key %q on a read", v)
						}
						wantVaryCookie(t, res)
					})
				}
			})
		})
	})
}
