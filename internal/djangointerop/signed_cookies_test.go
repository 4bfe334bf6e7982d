package djangointerop

import (
	"net/http"
	"testing"
)

// With SESSION_ENGINE signed_cookies on both sides the whole session is the
// cookie, signed with the signed_cookies salt; nothing is stored.

func TestSignedCookieLoginsAreSharedBothWays(t *testing.T) {
	t.Parallel()
	s := beside(t, "signed_cookies")
	id := s.CreateUser(t, "baker", pw)

	t.Run("a login on Django", func(t *testing.T) {
		b := s.Browser()
		b.DjangoLogin(t, "baker", pw)
		if u := b.APIUser(t); !u.Authenticated || u.User.ID != id {
			t.Fatalf("GET /api/auth/session: %+v", u)
		}
		// A write here re-signs the cookie; Django still reads it.
		b.API.Post("/api/session/visit", nil).Want(t, http.StatusOK)
		if got := b.DjangoSession(t).Data["visit_count"]; got != 1.0 || !b.DjangoUser(t).Authenticated {
			t.Fatalf("after a write here Django reads visit_count %v, logged in %v", got, b.DjangoUser(t).Authenticated)
		}
	})
	t.Run("a login here", func(t *testing.T) {
		b := s.Browser()
		b.APILogin(t, "baker", pw, true)
		if u := b.DjangoUser(t); !u.Authenticated || u.ID != id {
			t.Fatalf("Django's request.user: %+v", u)
		}
		b.DjangoWrite(t, map[string]any{"visit_count": 9})
		var v visit
		b.API.Post("/api/session/visit", nil).Want(t, http.StatusOK).JSON(t, &v)
		if v.Count != 10 || !b.APIUser(t).Authenticated {
			t.Fatalf("after a write on Django: visit_count %d, logged in here %v", v.Count, b.APIUser(t).Authenticated)
		}
	})
	t.Run("no store: nothing in django_session", func(t *testing.T) {
		if n := s.API.CountStored(t); n != 0 {
			t.Fatalf("%d rows in django_session", n)
		}
	})
}

func TestSignedCookiePasswordChangesEndTheOtherSessionsOnBoth(t *testing.T) {
	t.Parallel()
	s := beside(t, "signed_cookies")
	s.Register(t, "signer", pw)
	onDjango, here := s.Browser(), s.Browser()
	onDjango.DjangoLogin(t, "signer", pw)
	here.APILogin(t, "signer", pw, false)

	// Changed here: the session begun on Django carries a stale
	// _auth_user_hash, which Django refuses.
	changer := s.Browser()
	changer.APILogin(t, "signer", pw, false)
	changer.API.Post("/api/auth/password", map[string]string{"old_password": pw, "new_password": "second passphrase"}).Want(t, http.StatusNoContent)
	if onDjango.DjangoUser(t).Authenticated {
		t.Error("a session begun on Django is still logged in there after a password change here")
	}
	if !changer.DjangoUser(t).Authenticated {
		t.Error("the session that changed the password here is not logged in on Django")
	}

	// Changed on Django: the session begun here is refused here.
	changer = s.Browser()
	changer.DjangoLogin(t, "signer", "second passphrase")
	changer.Django(t, http.MethodPost, "/password", map[string]string{"old_password": "second passphrase", "new_password": "third passphrase"}).
		Want(t, http.StatusNoContent, nil)
	if here.APIUser(t).Authenticated {
		t.Error("a session begun here is still logged in here after a password change on Django")
	}
	if !changer.APIUser(t).Authenticated {
		t.Error("the session that changed the password on Django is not logged in here")
	}
}

// Logout with signed cookies only asks the browser to drop its cookie, on
// either side, as README's Engines table says: a copy kept elsewhere stays
// logged in on both until it expires. Prefer the db engine if that matters.
func TestASignedCookieLogoutDropsTheCookieButNotACopyOfIt(t *testing.T) {
	t.Parallel()
	s := beside(t, "signed_cookies")
	s.Register(t, "copier", pw)
	for _, logout := range []struct {
		name string
		do   func(t *testing.T, b *browser)
	}{
		{"here", func(t *testing.T, b *browser) { b.API.Post("/api/auth/logout", nil).Want(t, http.StatusNoContent) }},
		{"on Django", func(t *testing.T, b *browser) {
			b.Django(t, http.MethodPost, "/logout", nil).Want(t, http.StatusNoContent, nil)
		}},
	} {
		t.Run(logout.name, func(t *testing.T) {
			b := s.Browser()
			b.APILogin(t, "copier", pw, false)
			copied := b.Key()
			logout.do(t, b)
			if b.Key() != "" || b.APIUser(t).Authenticated || b.DjangoUser(t).Authenticated {
				t.Fatal("the browser that logged out is still logged in")
			}
			if !s.BrowserWithKey(t, copied).APIUser(t).Authenticated || !s.BrowserWithKey(t, copied).DjangoUser(t).Authenticated {
				t.Fatal("a copy of the cookie no longer logs in: has signed_cookies logout changed? Update README's Engines table")
			}
		})
	}
}
