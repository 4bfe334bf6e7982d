package auth_test

import (
	"crypto/rand"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/djsessions/api/internal/apitest"
	"github.com/djsessions/api/internal/session"
)

// The user agents of the clients of these tests: two browsers and an app.
const (
	firefox   = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
	safari    = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15"
	mobileApp = "DJSessions/2.1 (iPhone; iOS 17.5)"
)

// localhost is the address every test client connects from.
const localhost = "127.0.0.1"

// quiet is less than the minute within which the API does not record a
// session's activity again; idle is more.
const (
	quiet = 20 * time.Second
	idle  = 61 * time.Second
)

// activeSession is one entry of "my sessions", as the contract spells it.
type activeSession struct {
	ID           string    `json:"id"`
	CreatedAt    time.Time `json:"created_at"`
	LastActivity time.Time `json:"last_activity"`
	UserAgent    string    `json:"user_agent"`
	IP           string    `json:"ip"`
	Current      bool      `json:"current"`
}

func TestListSessions(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, app *apitest.App, clk *apitest.Clock) {
		app.RequireUserIndex(t)
		t.Run("200", func(t *testing.T) {
			t.Run("one user on two browsers and an app", func(t *testing.T) {
				alice := register(t, app, "alice")
				bob := app.Browser()
				login(t, bob, register(t, app, "bob").Username)
				visitor := app.Browser()
				visitor.Post("/api/session/visit", nil).Want(t, http.StatusOK) // an anonymous session
				// Alice logs in from two browsers and an app, 20 seconds apart.
				laptop := signIn(t, clk, app.Browser(), firefox, alice)
				clk.Advance(quiet)
				desktop := signIn(t, clk, app.Browser(), safari, alice)
				clk.Advance(quiet)
				phone := signIn(t, clk, app.Mobile(), mobileApp, alice)
				mine := []signedIn{laptop, desktop, phone}

				t.Run("each client lists exactly its user's three sessions, itself the one current", func(t *testing.T) {
					if n := app.CountStored(t); n != 5 {
						t.Fatalf("%d sessions stored, want alice's 3, bob's and the visitor's", n)
					}
					for _, c := range mine {
						list := mySessions(t, c.cl)
						if got := sorted(userAgents(list)); !slices.Equal(got, sorted([]string{firefox, safari, mobileApp})) {
							t.Fatalf("%s lists the sessions of %q, want alice's three", c.ua, got)
						}
						if own := current(t, list); own.UserAgent != c.ua {
							t.Fatalf("%s sees %q as current, want itself", c.ua, own.UserAgent)
						}
					}
				})

				t.Run("another user's sessions are not listed, nor are anonymous ones", func(t *testing.T) {
					bobs := mySessions(t, bob)
					if len(bobs) != 1 || !bobs[0].Current {
						t.Fatalf("bob lists %+v, want his one session", bobs)
					}
					for _, s := range mySessions(t, laptop.cl) {
						if s.ID == bobs[0].ID {
							t.Fatalf("alice's list holds bob's session %q", s.ID)
						}
					}
					visitor.Get("/api/auth/sessions").WantError(t, http.StatusUnauthorized, "not_authenticated")
				})

				t.Run("ids are not session keys, differ between sessions and stay the same across requests and clients", func(t *testing.T) {
					keys := []string{laptop.cl.SessionKey(), desktop.cl.SessionKey(), phone.cl.SessionKey(), bob.SessionKey(), visitor.SessionKey()}
					first := idsByAgent(t, mySessions(t, laptop.cl))
					for id := range maps.Values(first) {
						for _, key := range keys {
							if key == "" || id == key || strings.Contains(id, key) || strings.Contains(key, id) {
								t.Fatalf("the id %q gives away the session key %q", id, key)
							}
						}
					}
					if distinct := slices.Compact(slices.Sorted(maps.Values(first))); len(distinct) != 3 {
						t.Fatalf("ids %v, want three different ones", first)
					}
					for _, c := range mine {
						for range 2 {
							if got := idsByAgent(t, mySessions(t, c.cl)); !maps.Equal(got, first) {
								t.Fatalf("%s sees ids %v, want %v as before", c.ua, got, first)
							}
						}
					}
				})

				t.Run("each session shows its login time, address and user agent", func(t *testing.T) {
					for _, s := range mySessions(t, laptop.cl) {
						c := byAgent(t, mine, s.UserAgent)
						if !s.CreatedAt.Equal(c.at) || !s.LastActivity.Equal(c.at) || s.IP != localhost {
							t.Fatalf("session %+v, want created and last used at the login, %v, from %s", s, c.at, localhost)
						}
					}
				})

				t.Run("most recently used first", func(t *testing.T) {
					if got := userAgents(mySessions(t, desktop.cl)); !slices.Equal(got, []string{mobileApp, safari, firefox}) {
						t.Fatalf("order %q, want the last login first", got)
					}
				})
			})

			t.Run("a session used again moves to the top", func(t *testing.T) {
				u := register(t, app, "returner")
				first := signIn(t, clk, app.Browser(), firefox, u)
				clk.Advance(quiet)
				second := signIn(t, clk, app.Mobile(), mobileApp, u)

				clk.Advance(idle)
				first.cl.Get("/api/auth/me").Want(t, http.StatusOK)

				list := mySessions(t, second.cl)
				if got := userAgents(list); !slices.Equal(got, []string{firefox, mobileApp}) {
					t.Fatalf("order %q, want the session used last first", got)
				}
			})

			t.Run("last activity moves forward on a request more than a minute after the last one, not within the minute", func(t *testing.T) {
				u := register(t, app, "regular")
				watcher := signIn(t, clk, app.Mobile(), mobileApp, u)
				c := signIn(t, clk, app.Browser(), firefox, u)

				clk.Advance(50 * time.Second)
				c.cl.Get("/api/auth/me").Want(t, http.StatusOK)
				if s := sessionOf(t, watcher.cl, firefox); !s.LastActivity.Equal(c.at) {
					t.Fatalf("last activity %v after a request 50 s on, want still the login's %v", s.LastActivity, c.at)
				}

				clk.Advance(15 * time.Second)
				c.cl.Get("/api/auth/me").Want(t, http.StatusOK)
				s := sessionOf(t, watcher.cl, firefox)
				if !s.LastActivity.Equal(clk.Now()) || !s.CreatedAt.Equal(c.at) {
					t.Fatalf("after a request 65 s on: %+v, want last used %v, created %v", s, clk.Now(), c.at)
				}
			})

			t.Run("a session whose key is rotated is listed under its new id, with its login time", func(t *testing.T) {
				u := register(t, app, "rotator")
				c := signIn(t, clk, app.Browser(), firefox, u)
				watcher := signIn(t, clk, app.Mobile(), mobileApp, u)
				before := sessionOf(t, watcher.cl, firefox)
				oldKey := c.cl.SessionKey()

				clk.Advance(2 * time.Minute)
				c.cl.Post("/api/session/cycle", nil).Want(t, http.StatusOK)

				list := mySessions(t, c.cl)
				after := current(t, list)
				if len(list) != 2 || after.ID == before.ID || slices.Contains(ids(list), before.ID) {
					t.Fatalf("after the rotation %+v, want the session under a new id instead of %q", list, before.ID)
				}
				if !after.CreatedAt.Equal(c.at) || !after.LastActivity.Equal(clk.Now()) || after.UserAgent != firefox || after.IP != localhost {
					t.Fatalf("after the rotation %+v, want created %v, last used %v, from %s with %q", after, c.at, clk.Now(), localhost, firefox)
				}
				if got := sessionOf(t, watcher.cl, firefox); got.ID != after.ID {
					t.Fatalf("another client sees the rotated session as %q, want %q", got.ID, after.ID)
				}
				wantNotStored(t, app, oldKey)
			})

			t.Run("an expired session is not listed", func(t *testing.T) {
				u := register(t, app, "expirer")
				c := signIn(t, clk, app.Browser(), firefox, u)
				stale := signIn(t, clk, app.Mobile(), mobileApp, u)
				// Expired, and not yet removed by clearsessions (on the
				// engines that need it).
				app.SetStoredExpiry(t, stale.cl.SessionKey(), time.Now().Add(-time.Hour))

				if got := userAgents(mySessions(t, c.cl)); !slices.Equal(got, []string{firefox}) {
					t.Fatalf("lists %q, want only the unexpired session", got)
				}
			})
		})

		t.Run("401", func(t *testing.T) {
			wantLoginRequired(t, app, http.MethodGet, "/api/auth/sessions")
		})
	})
}

func TestRevokeSession(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, app *apitest.App, clk *apitest.Clock) {
		app.RequireUserIndex(t)
		t.Run("204", func(t *testing.T) {
			t.Run("revoking another of my sessions ends it at once and leaves the others", func(t *testing.T) {
				u := register(t, app, "revoker")
				devs := devices(t, app, u) // the phone (an app), the laptop, the tablet
				phone, laptop, tablet := devs[0], devs[1], devs[2]
				phoneKey, laptopKey, tabletKey := phone.SessionKey(), laptop.SessionKey(), tablet.SessionKey()

				res := laptop.Delete("/api/auth/sessions/"+idOf(t, phone)).Want(t, http.StatusNoContent)

				wantNoKeyChange(t, res)
				wantNotStored(t, app, phoneKey)
				phone.Get("/api/auth/me").WantError(t, http.StatusUnauthorized, "not_authenticated")
				wantAnonymous(t, phone)
				wantAuthenticatedAs(t, laptop, u)
				wantAuthenticatedAs(t, tablet, u)
				if laptop.SessionKey() != laptopKey || tablet.SessionKey() != tabletKey {
					t.Fatalf("the other sessions' keys changed")
				}
				if n := len(mySessions(t, tablet)); n != 2 {
					t.Fatalf("%d sessions listed, want the 2 left", n)
				}
			})

			for _, c := range apitest.Transports(app) {
				t.Run(c.Name+": revoking the current session logs this client out", func(t *testing.T) {
					u := register(t, app, "self-revoker-"+c.Name)
					cl := c.New()
					login(t, cl, u.Username)
					other := app.Browser()
					login(t, other, u.Username)
					key := cl.SessionKey()

					res := cl.Delete("/api/auth/sessions/"+idOf(t, cl)).Want(t, http.StatusNoContent)

					c.WantForgotten(t, res)
					wantNotStored(t, app, key)
					cl.Get("/api/auth/me").WantError(t, http.StatusUnauthorized, "not_authenticated")
					wantAnonymous(t, cl)
					wantAuthenticatedAs(t, other, u)
				})
			}
		})

		t.Run("404", func(t *testing.T) {
			for i, tc := range []struct{ name, id string }{
				{"an id that is no session's", "0123456789abcdef"},
				{"an id that is not hex", "not-even-hex"},
				{"an id of 500 characters", strings.Repeat("a", 500)},
			} {
				t.Run(tc.name, func(t *testing.T) {
					u := register(t, app, "guesser"+itoa(i))
					cl := app.Browser()
					login(t, cl, u.Username)

					cl.Delete("/api/auth/sessions/"+tc.id).WantError(t, http.StatusNotFound, "not_found")

					wantAuthenticatedAs(t, cl, u)
				})
			}

			t.Run("the session key itself, which is not an id", func(t *testing.T) {
				u := register(t, app, "keyholder")
				cl := app.Browser()
				login(t, cl, u.Username)

				cl.Delete("/api/auth/sessions/"+cl.SessionKey()).WantError(t, http.StatusNotFound, "not_found")

				wantAuthenticatedAs(t, cl, u)
			})

			t.Run("another user's session id, and that session survives", func(t *testing.T) {
				u := register(t, app, "intruder")
				victim := register(t, app, "victim")
				cl := app.Browser()
				login(t, cl, u.Username)
				theirs := app.Mobile()
				login(t, theirs, victim.Username)
				theirKey := theirs.SessionKey()

				cl.Delete("/api/auth/sessions/"+idOf(t, theirs)).WantError(t, http.StatusNotFound, "not_found")

				if _, found := app.Stored(t, theirKey); !found {
					t.Fatalf("the victim's session is gone from the store")
				}
				wantAuthenticatedAs(t, theirs, victim)
				if n := len(mySessions(t, theirs)); n != 1 {
					t.Fatalf("the victim lists %d sessions, want 1", n)
				}
			})

			t.Run("an id already revoked", func(t *testing.T) {
				u := register(t, app, "repeater")
				devs := devices(t, app, u)
				id := idOf(t, devs[0])
				devs[1].Delete("/api/auth/sessions/"+id).Want(t, http.StatusNoContent)

				devs[1].Delete("/api/auth/sessions/"+id).WantError(t, http.StatusNotFound, "not_found")
				devs[2].Delete("/api/auth/sessions/"+id).WantError(t, http.StatusNotFound, "not_found")
			})
		})

		t.Run("401", func(t *testing.T) {
			wantLoginRequired(t, app, http.MethodDelete, "/api/auth/sessions/0123456789abcdef")
		})
	})
}

func TestLogoutAll(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, app *apitest.App, clk *apitest.Clock) {
		app.RequireUserIndex(t)
		t.Run("204", func(t *testing.T) {
			for _, c := range apitest.Transports(app) {
				t.Run(c.Name+": every session of the user ends, this one included, and no one else's", func(t *testing.T) {
					u := register(t, app, "everywhere-"+c.Name)
					bystander := register(t, app, "bystander-"+c.Name)
					theirs := app.Browser()
					login(t, theirs, bystander.Username)
					visitor := app.Mobile()
					visitor.Post("/api/session/visit", nil).Want(t, http.StatusOK)
					devs := devices(t, app, u) // the phone (an app), the laptop, the tablet
					caller := devs[1]
					if c.Mobile {
						caller = devs[0]
					}
					var keys []string
					for _, d := range devs {
						keys = append(keys, d.SessionKey())
					}

					res := caller.Post("/api/auth/logout-all", nil).Want(t, http.StatusNoContent)

					c.WantForgotten(t, res)
					for i, d := range devs {
						wantNotStored(t, app, keys[i])
						d.Get("/api/auth/me").WantError(t, http.StatusUnauthorized, "not_authenticated")
						wantAnonymous(t, d)
					}
					if n := app.CountStoredOf(t, u.ID); n != 0 {
						t.Fatalf("%d sessions of the user left in the store, want none", n)
					}
					wantAuthenticatedAs(t, theirs, bystander)
					if _, found := app.Stored(t, visitor.SessionKey()); !found {
						t.Fatalf("an anonymous session was deleted")
					}
				})
			}
		})

		t.Run("401", func(t *testing.T) {
			wantLoginRequired(t, app, http.MethodPost, "/api/auth/logout-all")
		})
	})
}

func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, app *apitest.App, clk *apitest.Clock) {
		app.RequireUserIndex(t)
		t.Run("204", func(t *testing.T) {
			t.Run("the user's other sessions leave the store; this one is listed alone, current", func(t *testing.T) {
				u := register(t, app, "rekeyed")
				devs := devices(t, app, u) // the phone (an app), the laptop, the tablet
				others := []string{devs[0].SessionKey(), devs[1].SessionKey()}

				changePassword(devs[2], strongPassword).Want(t, http.StatusNoContent)

				for _, key := range others {
					wantNotStored(t, app, key)
				}
				if list := mySessions(t, devs[2]); len(list) != 1 || !list[0].Current {
					t.Fatalf("my sessions after a password change: %+v, want only this one", list)
				}
			})
		})
	})
}

func TestSessionBegunByDjango(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, app *apitest.App, clk *apitest.Clock) {
		app.RequireDjangoTable(t)
		t.Run("loads, its extra columns left NULL until the API sees a request of it", func(t *testing.T) {
			u := register(t, app, "djangonaut")
			key := djangoLogin(t, app, clk, u)

			if got := value[string](t, stored(t, app, key), "_auth_user_id"); got != itoa(u.ID) {
				t.Fatalf("_auth_user_id %q, want %q", got, itoa(u.ID))
			}
			wantNoMeta(t, app, key)
		})

		t.Run("is listed once the API has seen a request of it as a logged-in session, current in its own list", func(t *testing.T) {
			u := register(t, app, "pony")
			api := signIn(t, clk, app.Browser(), firefox, u)
			key := djangoLogin(t, app, clk, u)
			if got := userAgents(mySessions(t, api.cl)); !slices.Equal(got, []string{firefox}) {
				t.Fatalf("lists %q before the API saw the Django session, want only its own", got)
			}

			clk.Advance(30 * time.Second)
			django := apitest.Transports(app)[0].WithKey(key)
			django.Header.Set("User-Agent", safari)
			if got := decode[me](t, django.Get("/api/auth/me").Want(t, http.StatusOK)); got.ID != u.ID {
				t.Fatalf("the Django session is user %d's, want %d's", got.ID, u.ID)
			}

			list := mySessions(t, api.cl)
			if got := userAgents(list); !slices.Equal(got, []string{safari, firefox}) {
				t.Fatalf("lists %q, want the Django session (used last) and this one", got)
			}
			if s := list[0]; s.Current || s.IP != localhost || !s.LastActivity.Equal(clk.Now()) || !s.CreatedAt.Equal(clk.Now()) {
				t.Fatalf("the Django session is listed as %+v, want first seen and last used %v, from %s", s, clk.Now(), localhost)
			}
			if own := current(t, mySessions(t, apitest.Transports(app)[0].WithKey(key))); own.ID != list[0].ID {
				t.Fatalf("the Django session sees %+v as current, want itself, %+v", own, list[0])
			}

			api.cl.Delete("/api/auth/sessions/"+list[0].ID).Want(t, http.StatusNoContent)
			wantNotStored(t, app, key)
		})

		t.Run("is listed as begun when the API first saw it, which stays as it is used later", func(t *testing.T) {
			u := register(t, app, "stayer")
			api := signIn(t, clk, app.Browser(), firefox, u)
			key := djangoLogin(t, app, clk, u)

			clk.Advance(30 * time.Second)
			firstSeen := clk.Now()
			apitest.Transports(app)[0].WithKey(key).Get("/api/auth/me").Want(t, http.StatusOK)
			clk.Advance(2 * time.Minute)
			apitest.Transports(app)[0].WithKey(key).Get("/api/auth/me").Want(t, http.StatusOK)

			s := mySessions(t, api.cl)[0]
			if s.Current || !s.CreatedAt.Equal(firstSeen) || !s.LastActivity.Equal(clk.Now()) {
				t.Fatalf("the Django session is listed as %+v, want begun %v and last used %v", s, firstSeen, clk.Now())
			}
		})
	})
}

// mySessions returns the list of sessions cl sees as its user's.
func mySessions(t *testing.T, cl *apitest.Client) []activeSession {
	t.Helper()
	return decode[[]activeSession](t, cl.Get("/api/auth/sessions").Want(t, http.StatusOK))
}

// current returns the one session of list marked current.
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

// devices logs u in on a phone (an app), a laptop and a tablet (browsers),
// each with its own user agent, and returns them in that order.
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

// signedIn is a client logged in with a user agent of its own.
type signedIn struct {
	cl *apitest.Client
	ua string
	at time.Time // when it logged in
}

// signIn logs cl in as u now, by clk, sending ua with this and every later
// request.
func signIn(t *testing.T, clk *apitest.Clock, cl *apitest.Client, ua string, u registered) signedIn {
	t.Helper()
	cl.Header.Set("User-Agent", ua)
	login(t, cl, u.Username)
	return signedIn{cl: cl, ua: ua, at: clk.Now()}
}

// idOf returns the id under which cl's own session is listed.
func idOf(t *testing.T, cl *apitest.Client) string {
	t.Helper()
	return current(t, mySessions(t, cl)).ID
}

// sessionOf returns the one session in cl's list with user agent ua.
func sessionOf(t *testing.T, cl *apitest.Client, ua string) activeSession {
	t.Helper()
	var found []activeSession
	for _, s := range mySessions(t, cl) {
		if s.UserAgent == ua {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d sessions with user agent %q, want 1", len(found), ua)
	}
	return found[0]
}

func byAgent(t *testing.T, cs []signedIn, ua string) signedIn {
	t.Helper()
	for _, c := range cs {
		if c.ua == ua {
			return c
		}
	}
	t.Fatalf("no client has the user agent %q", ua)
	return signedIn{}
}

func userAgents(list []activeSession) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = s.UserAgent
	}
	return out
}

func sorted(s []string) []string { return slices.Sorted(slices.Values(s)) }

func ids(list []activeSession) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = s.ID
	}
	return out
}

// idsByAgent maps each session's user agent to its id; the user agents of
// these tests tell their sessions apart.
func idsByAgent(t *testing.T, list []activeSession) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, s := range list {
		if _, dup := m[s.UserAgent]; dup {
			t.Fatalf("two sessions with user agent %q in %+v", s.UserAgent, list)
		}
		m[s.UserAgent] = s.ID
	}
	return m
}

// wantLoginRequired checks that the route answers 401 not_authenticated to
// every kind of anonymous client: one without a session, one with an
// anonymous session, and one that has logged out.
func wantLoginRequired(t *testing.T, app *apitest.App, method, path string) {
	t.Helper()
	for _, c := range apitest.Transports(app) {
		for _, state := range []struct {
			name  string
			setup func(cl *apitest.Client)
		}{
			{"without a session", func(*apitest.Client) {}},
			{"with an anonymous session", func(cl *apitest.Client) {
				cl.Post("/api/session/visit", nil).Want(t, http.StatusOK)
			}},
			{"logged out", func(cl *apitest.Client) {
				login(t, cl, register(t, app, "gone-"+c.Name).Username)
				cl.Post("/api/auth/logout", nil).Want(t, http.StatusNoContent)
			}},
		} {
			t.Run(c.Name+": "+state.name, func(t *testing.T) {
				cl := c.New()
				state.setup(cl)
				cl.Do(method, path, nil).WantError(t, http.StatusUnauthorized, "not_authenticated")
			})
		}
	}
}

// djangoLogin stores a logged-in session of u as Django's login() would: a
// row of django_session's own three columns, its data signed with the
// test API's SECRET_KEY. It returns the session key.
func djangoLogin(t *testing.T, app *apitest.App, clk *apitest.Clock, u registered) string {
	t.Helper()
	data, err := json.Marshal(map[string]string{
		"_auth_user_id":      itoa(u.ID), // Django writes the primary key as a string
		"_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
		"_auth_user_hash":    sessionAuthHash(accountOf(t, app, u.ID).Password),
	})
	if err != nil {
		t.Fatal(err)
	}
	key := djangoKey()
	signed := session.NewSigner(session.SaltStore, apitest.SecretKey).Sign(data, clk.Now())
	exec(t, app, "INSERT INTO django_session (session_key, session_data, expire_date) VALUES (?, ?, ?)",
		key, signed, clk.Now().Add(defaultAge*time.Second).UTC())
	return key
}

// djangoKey returns a key of the form Django's get_random_string makes: 32
// characters of [a-z0-9].
func djangoKey() string {
	return strings.ToLower(rand.Text() + rand.Text())[:32] // [a-z2-7], a part of Django's alphabet
}

// wantNoMeta checks that the API has written none of its columns beside the
// session under key.
func wantNoMeta(t *testing.T, app *apitest.App, key string) {
	t.Helper()
	var n int
	err := app.DB.Get(&n, app.DB.Rebind(`SELECT count(*) FROM django_session WHERE session_key = ?
		AND user_id IS NULL AND created_at IS NULL AND last_activity IS NULL AND ip IS NULL AND user_agent IS NULL`), key)
	if err != nil {
		t.Fatalf("reading django_session: %v", err)
	}
	if n != 1 {
		t.Fatalf("the session %s has metadata written beside it, want its extra columns NULL", key)
	}
}
