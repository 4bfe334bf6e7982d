package djangointerop

import (
	"strings"
	"testing"
)

// The password of the tests' users: good enough for Django's validators
// and the API's.
const pw = "correct horse battery"

func TestALoginOnDjangoIsALoginHere(t *testing.T) {
	t.Parallel()
	s := beside(t, "db")
	id := s.CreateUser(t, "ada", pw)
	b := s.Browser()

	b.DjangoLogin(t, "ada", pw)

	if u := b.APIUser(t); !u.Authenticated || u.User.ID != id || u.User.Username != "ada" {
		t.Fatalf("GET /api/auth/session after a login on Django: %+v; want ada (%d)", u, id)
	}
	b.API.Get("/api/auth/me").Want(t, 200)
	if u := b.DjangoUser(t); !u.Authenticated || u.ID != id {
		t.Fatalf("Django's request.user after the API saw the session: %+v", u)
	}
}

func TestALoginHereIsALoginOnDjango(t *testing.T) {
	t.Parallel()
	s := beside(t, "db")
	id := s.Register(t, "grace", pw)
	b := s.Browser()

	b.APILogin(t, "grace", pw, false)

	if u := b.DjangoUser(t); !u.Authenticated || u.ID != id || u.Username != "grace" {
		t.Fatalf("Django's request.user after a login here: %+v; want grace (%d)", u, id)
	}
}

func TestALogoutOnEitherSideEndsTheSessionOnBoth(t *testing.T) {
	t.Parallel()
	s := beside(t, "db")
	for _, tc := range []struct {
		name, user    string
		login, logout func(t *testing.T, b *browser, username string)
	}{
		{"logged in on Django, logged out here", "ada",
			func(t *testing.T, b *browser, name string) { b.DjangoLogin(t, name, pw) },
			func(t *testing.T, b *browser, _ string) { b.API.Post("/api/auth/logout", nil).Want(t, 204) }},
		{"logged in here, logged out on Django", "grace",
			func(t *testing.T, b *browser, name string) { b.APILogin(t, name, pw, true) },
			func(t *testing.T, b *browser, _ string) { b.Django(t, "POST", "/logout", nil).Want(t, 204, nil) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.CreateUser(t, tc.user, pw)
			b := s.Browser()
			tc.login(t, b, tc.user)
			key := b.Key()

			tc.logout(t, b, tc.user)

			if b.Key() != "" {
				t.Errorf("the browser still has a session cookie after the logout")
			}
			// The key, replayed from a copy of the cookie, is dead on both
			// sides: the row is gone, not merely the cookie.
			if _, found := s.API.Stored(t, key); found {
				t.Fatal("the session's row is still in django_session after the logout")
			}
			if u := s.BrowserWithKey(t, key).APIUser(t); u.Authenticated {
				t.Errorf("the API still authenticates the old key: %+v", u)
			}
			if u := s.BrowserWithKey(t, key).DjangoUser(t); u.Authenticated {
				t.Errorf("Django still authenticates the old key: %+v", u)
			}
		})
	}
}

func TestAPasswordChangedOnEitherSideEndsTheUsersOtherSessionsOnBoth(t *testing.T) {
	t.Parallel()
	s := beside(t, "db")
	const newPW = "a brand new passphrase"
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, b *browser, username string)
	}{
		{"on Django", func(t *testing.T, b *browser, name string) {
			b.DjangoLogin(t, name, pw)
			b.Django(t, "POST", "/password", map[string]string{"old_password": pw, "new_password": newPW}).Want(t, 204, nil)
		}},
		{"here", func(t *testing.T, b *browser, name string) {
			b.APILogin(t, name, pw, true)
			b.API.Post("/api/auth/password", map[string]string{"old_password": pw, "new_password": newPW}).Want(t, 204)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := "changed_" + strings.ReplaceAll(tc.name, " ", "_")
			s.Register(t, name, pw)
			// The user's other sessions: two begun on Django, one here; each
			// is asked first on one side, so that each side's own check of
			// the session auth hash is seen (the first to refuse a session
			// deletes it).
			others := []struct {
				onDjango, askDjangoFirst bool
			}{{true, true}, {true, false}, {false, true}, {false, false}}
			keys := make([]string, len(others))
			for i, o := range others {
				b := s.Browser()
				if o.onDjango {
					b.DjangoLogin(t, name, pw)
				} else {
					b.APILogin(t, name, pw, false)
				}
				keys[i] = b.Key()
			}

			changer := s.Browser()
			tc.change(t, changer, name)

			for i, o := range others {
				b := s.BrowserWithKey(t, keys[i])
				asks := []func() bool{
					func() bool { return b.APIUser(t).Authenticated },
					func() bool { return b.DjangoUser(t).Authenticated },
				}
				if o.askDjangoFirst {
					asks[0], asks[1] = asks[1], asks[0]
				}
				for _, ask := range asks {
					if ask() {
						t.Errorf("session %d (begun on Django: %v) is still logged in after the password change", i, o.onDjango)
					}
				}
			}
			if !changer.APIUser(t).Authenticated || !changer.DjangoUser(t).Authenticated {
				t.Error("the session that changed the password is no longer logged in on both sides")
			}
			// The new password is the password on both sides.
			s.Browser().DjangoLogin(t, name, newPW)
			s.Browser().APILogin(t, name, newPW, false)
		})
	}
}

// The API vouches only for ModelBackend's logins, the backend whose users
// it shares. Django treats a login by a backend it does not list as
// anonymous and leaves the session alone; so does the API, so that a
// Django project with another backend (here, login by email) does not
// see its users logged out by their first request to the API.
func TestALoginByAnotherDjangoBackendIsAnonymousHereAndLeftAlone(t *testing.T) {
	t.Parallel()
	s := beside(t, "db")
	id := s.CreateUser(t, "by_email", pw)
	b := s.Browser()
	b.Django(t, "POST", "/login", map[string]string{"email": "by_email@example.com", "password": pw}).Want(t, 200, nil)
	b.DjangoWrite(t, map[string]any{"kept": true})

	if u := b.APIUser(t); u.Authenticated {
		t.Fatalf("the API vouches for another backend's login: %+v", u)
	}
	b.API.Get("/api/auth/me").WantError(t, 401, "not_authenticated")
	if u := b.DjangoUser(t); !u.Authenticated || u.ID != id {
		t.Fatalf("after requests to the API, Django's request.user is %+v; want the login by email kept", u)
	}
	if got := b.DjangoSession(t).Data["kept"]; got != true {
		t.Fatalf("the session's data after requests to the API: kept = %v", got)
	}
}

// POST /api/auth/logout-all finds a user's sessions by the user_id column
// the API fills in beside Django's: a session begun on Django has it from
// its first request here on (README: a session never used here is out of
// its reach, though a password change still ends it).
func TestLogoutEverywhereHereEndsTheDjangoSessionsTheAPIHasSeen(t *testing.T) {
	t.Parallel()
	s := beside(t, "db")
	s.Register(t, "everywhere", pw)
	onDjango := s.Browser()
	onDjango.DjangoLogin(t, "everywhere", pw)
	onDjango.API.Get("/api/auth/me").Want(t, 200) // seen here

	b := s.Browser()
	b.APILogin(t, "everywhere", pw, false)
	b.API.Post("/api/auth/logout-all", nil).Want(t, 204)

	if onDjango.DjangoUser(t).Authenticated {
		t.Fatal("a session begun on Django, and used here, is still logged in on Django after logout-all here")
	}
}
