package sessionapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/djsessions/api/internal/apitest"
	"github.com/djsessions/api/internal/session"
)

func TestCycle(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, app *apitest.App, clk *apitest.Clock) {
		t.Run("200", func(t *testing.T) {
			for _, c := range apitest.Transports(app) {
				t.Run(c.Name+": a new key, the same data, and the old key dead", func(t *testing.T) {
					cl := c.New()
					cl.Post("/api/session/visit", nil).Want(t, http.StatusOK)
					first := decode[visit](t, cl.Post("/api/session/visit", nil).Want(t, http.StatusOK))
					old := cl.SessionKey()

					res := cl.Post("/api/session/cycle", nil).Want(t, http.StatusOK)

					if got, want := decode[info](t, res), (info{defaultAge, clk.Now().Add(defaultAge * time.Second), false}); !sameInfo(got, want) {
						t.Fatalf("got %+v, want %+v", got, want)
					}
					fresh := cl.SessionKey()
					if fresh == old || !session.ValidKey(fresh) {
						t.Fatalf("after cycling the key is %q, was %q", fresh, old)
					}
					if c.Mobile {
						if got := wantIssuedKey(t, res); got != fresh {
							t.Fatalf("X-Session-Key %q, want %q", got, fresh)
						}
						res.WantNoCookie(t)
					} else {
						res.SessionCookie(t)
						wantKeyHidden(t, res, old, fresh)
					}
					if _, found := app.Stored(t, old); found {
						t.Fatalf("the old key %s is still stored", old)
					}
					if v := decode[visit](t, cl.Post("/api/session/visit", nil).Want(t, http.StatusOK)); v.Count != 3 || !v.Created.Equal(first.Created) {
						t.Fatalf("after cycling, the visit is %+v, want count 3 and session_created %v", v, first.Created)
					}

					replay := c.WithKey(old)
					res = replay.Get("/api/session").Want(t, http.StatusOK)
					if got := decode[shown](t, res); len(got.Keys) != 0 {
						t.Fatalf("the old key still reads keys %q", got.Keys)
					}
					c.WantForgotten(t, res)
				})
			}

			t.Run("a custom expiry survives the cycle", func(t *testing.T) {
				b := app.Browser()
				b.Put("/api/session/expiry", map[string]int{"seconds": 600}).Want(t, http.StatusOK)
				res := b.Post("/api/session/cycle", nil).Want(t, http.StatusOK)
				if got := decode[info](t, res); got.ExpiryAge != 600 {
					t.Fatalf("expiry_age %d after cycling, want 600", got.ExpiryAge)
				}
				if ck := res.SessionCookie(t); ck.MaxAge != 600 {
					t.Fatalf("Max-Age %d after cycling, want 600", ck.MaxAge)
				}
			})

			t.Run("cycling without a session stores nothing", func(t *testing.T) {
				count := app.CountStored(t)
				res := app.Browser().Post("/api/session/cycle", nil).Want(t, http.StatusOK)
				res.WantNoCookie(t)
				if n := app.CountStored(t); n != count {
					t.Fatalf("%d sessions stored, want %d", n, count)
				}
			})
		})
	})
}

func TestFlush(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, app *apitest.App, clk *apitest.Clock) {
		t.Run("204", func(t *testing.T) {
			for _, c := range apitest.Transports(app) {
				t.Run(c.Name+": the session is deleted, the client told to forget its key, and the key dead", func(t *testing.T) {
					cl := c.New()
					cl.Post("/api/session/visit", nil).Want(t, http.StatusOK)
					old := cl.SessionKey()

					res := cl.Delete("/api/session").Want(t, http.StatusNoContent)

					if len(res.Body) != 0 {
						t.Fatalf("a 204 with a body: %s", res.Body)
					}
					c.WantForgotten(t, res)
					if _, found := app.Stored(t, old); found {
						t.Fatalf("the flushed key %s is still stored", old)
					}
					if cl.SessionKey() != "" {
						t.Fatalf("the client still holds key %q", cl.SessionKey())
					}

					replay := c.WithKey(old)
					res = replay.Get("/api/session").Want(t, http.StatusOK)
					if got := decode[shown](t, res); len(got.Keys) != 0 {
						t.Fatalf("the flushed key still reads keys %q", got.Keys)
					}
					c.WantForgotten(t, res)

					if v := decode[visit](t, cl.Post("/api/session/visit", nil).Want(t, http.StatusOK)); v.Count != 1 {
						t.Fatalf("the first visit after a flush counts %d, want 1", v.Count)
					}
					if k := cl.SessionKey(); k == old || !session.ValidKey(k) {
						t.Fatalf("the key after a flush is %q, was %q", k, old)
					}
				})

				t.Run(c.Name+": a client without a session gets 204 too", func(t *testing.T) {
					count := app.CountStored(t)
					res := c.New().Delete("/api/session").Want(t, http.StatusNoContent)
					res.WantNoCookie(t)
					if n := app.CountStored(t); n != count {
						t.Fatalf("%d sessions stored, want %d", n, count)
					}
				})
			}
		})
	})
}

func TestUnknownKeysAreNeverAdopted(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, app *apitest.App, clk *apitest.Clock) {
		// issued returns the key of a session the API has stored.
		issued := func(t *testing.T) string {
			t.Helper()
			b := app.Browser()
			b.Post("/api/session/visit", nil).Want(t, http.StatusOK)
			b.Post("/api/session/visit", nil).Want(t, http.StatusOK)
			return b.SessionKey()
		}
		cases := []struct {
			name string
			key  func(t *testing.T) string
		}{
			{"a well-formed key never issued", constant("abcdefghij0123456789abcdefghij01")},
			{"an issued key with one character changed", func(t *testing.T) string {
				k := []byte(issued(t))
				if k[0] == 'a' {
					k[0] = 'b'
				} else {
					k[0] = 'a'
				}
				return string(k)
			}},
			{"an expired key", func(t *testing.T) string {
				k := issued(t)
				app.SetStoredExpiry(t, k, time.Now().Add(-time.Minute))
				return k
			}},
			{"a key whose data fails verification", func(t *testing.T) string {
				k := issued(t)
				app.SetStoredData(t, k, "eyJ2aXNpdF9jb3VudCI6OTl9:1tampr:forgedsignature")
				return k
			}},
			{"a key deleted from the store", func(t *testing.T) string {
				k := issued(t)
				app.DeleteStored(t, k)
				return k
			}},
			{"a key too short", constant("abc123")},
			{"a key too long", constant(strings.Repeat("a", 41))},
			{"a key in capitals", constant("ABCDEFGHIJ0123456789ABCDEFGHIJ01")},
			{"a key with punctuation", constant("abcdefghij0123456789abcdef-'--01")},
			{"a path", constant("../../../../etc/passwd")},
		}
		t.Run("200", func(t *testing.T) {
			for _, tc := range cases {
				for _, c := range apitest.Transports(app) {
					t.Run(c.Name+": "+tc.name, func(t *testing.T) {
						forged := tc.key(t)
						before, existed := app.Stored(t, forged)

						res := c.WithKey(forged).Post("/api/session/visit", nil).Want(t, http.StatusOK)

						if v := decode[visit](t, res); v.Count != 1 {
							t.Fatalf("visit_count %d, want 1: the forged key's session was adopted", v.Count)
						}
						var got string
						if c.Mobile {
							got = wantIssuedKey(t, res)
						} else {
							got = res.SessionCookie(t).Value
						}
						if got == forged || !session.ValidKey(got) {
							t.Fatalf("issued key %q for forged key %q", got, forged)
						}
						if existed {
							app.WantStoredUnchanged(t, forged, before)
						} else if _, found := app.Stored(t, forged); found {
							t.Fatalf("a session was stored under the forged key %q", forged)
						}
					})
				}
			}
		})
	})
}

func TestSessionDeletedByAnotherClient(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, app *apitest.App, clk *apitest.Clock) {
		// Two clients share one key (the same cookie in two tabs, say); the
		// session is deleted before the second one writes. Over HTTP the
		// second request cannot be made to load the session before the
		// delete and save after it; that update-after-delete path is
		// session_interrupted, tested in package session. Here the key is
		// already unknown when the write loads it: the write starts afresh.
		ways := []struct {
			name   string
			delete func(t *testing.T, key string, holder *apitest.Client)
		}{
			{"by a flush from the other client", func(t *testing.T, _ string, holder *apitest.Client) {
				holder.Delete("/api/session").Want(t, http.StatusNoContent)
			}},
			{"from the store directly", func(t *testing.T, key string, _ *apitest.Client) {
				app.DeleteStored(t, key)
			}},
		}
		t.Run("200", func(t *testing.T) {
			for _, w := range ways {
				for _, c := range apitest.Transports(app) {
					t.Run(c.Name+": a write after the delete "+w.name+" gets a new session, not the old one back", func(t *testing.T) {
						first := c.New()
						first.Post("/api/session/visit", nil).Want(t, http.StatusOK)
						key := first.SessionKey()
						second := c.WithKey(key)

						w.delete(t, key, first)
						res := second.Post("/api/session/visit", nil).Want(t, http.StatusOK)

						if v := decode[visit](t, res); v.Count != 1 {
							t.Fatalf("visit_count %d, want 1", v.Count)
						}
						var issued string
						if c.Mobile {
							issued = wantIssuedKey(t, res)
						} else {
							issued = res.SessionCookie(t).Value
						}
						if issued == key || !session.ValidKey(issued) {
							t.Fatalf("issued key %q after %s was deleted", issued, key)
						}
						if _, found := app.Stored(t, key); found {
							t.Fatalf("the deleted session %s was brought back", key)
						}
					})
				}
			}
		})
	})
}
