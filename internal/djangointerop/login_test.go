package djangointerop

import (
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
