package djangointerop

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/djsessions/api/internal/apitest"
)

func TestUsersCreatedByDjangoLogInHere(t *testing.T) {
	t.Parallel()
	s := beside(t, "db")
	s.CreateUser(t, "made_by_create_user", pw)
	// createsuperuser, the command, as an admin would run it.
	manage(t, append(djangoEnv(s.URL, "db"), "DJANGO_SUPERUSER_PASSWORD="+pw),
		"createsuperuser", "--no-input", "--username", "made_by_createsuperuser", "--email", "root@example.com")

	for _, name := range []string{"made_by_create_user", "made_by_createsuperuser"} {
		b := s.Browser()
		b.APILogin(t, name, pw, false)
		var me struct {
			Username string `json:"username"`
		}
		b.API.Get("/api/auth/me").Want(t, http.StatusOK).JSON(t, &me)
		if me.Username != name {
			t.Errorf("GET /api/auth/me after logging in as %s: %+v", name, me)
		}
	}
}

func TestUsersRegisteredHereLogInToDjango(t *testing.T) {
	t.Parallel()
	s := beside(t, "db")
	id := s.Register(t, "registered_here", pw)
	b := s.Browser()

	b.DjangoLogin(t, "registered_here", pw)

	if u := b.DjangoUser(t); !u.Authenticated || u.ID != id {
		t.Fatalf("Django's request.user: %+v, want the user registered here (%d)", u, id)
	}
}

func TestAHashUpgradedHereStaysValidOnDjango(t *testing.T) {
	t.Parallel()
	s := beside(t, "db")
	// A hash made by an older Django, at fewer iterations than both sides
	// use now.
	old := apitest.PasswordIterations / 2
	var made struct {
		Password string `json:"password"`
	}
	s.Browser().Django(t, http.MethodPost, "/users", map[string]any{"username": "old_timer", "password": pw, "iterations": old}).
		Want(t, http.StatusCreated, &made)
	if !strings.HasPrefix(made.Password, "pbkdf2_sha256$"+strconv.Itoa(old)+"$") {
		t.Fatalf("Django stored %q", made.Password)
	}

	here := s.Browser()
	here.APILogin(t, "old_timer", pw, true)
	upgraded := passwordOf(t, s, "old_timer")
	if !strings.HasPrefix(upgraded, "pbkdf2_sha256$"+strconv.Itoa(apitest.PasswordIterations)+"$") {
		t.Fatalf("after a login here the hash is %q; want it rehashed at %d iterations", upgraded, apitest.PasswordIterations)
	}

	there := s.Browser()
	there.DjangoLogin(t, "old_timer", pw)
	if u := there.DjangoUser(t); !u.Authenticated {
		t.Fatal("Django does not log the user in with the hash upgraded here")
	}
	// At the same iteration count Django keeps the hash as it is, so the
	// session auth hash stays and the login here survives the login there.
	if got := passwordOf(t, s, "old_timer"); got != upgraded {
		t.Errorf("Django's login rewrote the hash: %q → %q", upgraded, got)
	}
	if !here.APIUser(t).Authenticated {
		t.Error("the login here ended when the user logged in on Django")
	}
}

func passwordOf(t *testing.T, s *side, username string) string {
	t.Helper()
	var hash string
	if err := s.API.DB.Get(&hash, "SELECT password FROM auth_user WHERE username = $1", username); err != nil {
		t.Fatal(err)
	}
	return hash
}

// Why both sides need one PBKDF2 iteration count (README, "Running beside
// Django"): each side rehashes at login a hash of another count, and a new
// hash is a new session auth hash, which logs the user out everywhere else.
func TestIterationCountsThatDifferMakeEachLoginEndTheOtherSidesSessions(t *testing.T) {
	t.Parallel()
	s := beside(t, "db", "PASSWORD_HASHER_ITERATIONS="+strconv.Itoa(apitest.PasswordIterations*2))
	s.Register(t, "ping_pong", pw)
	here := s.Browser()
	here.APILogin(t, "ping_pong", pw, true)

	there := s.Browser()
	there.DjangoLogin(t, "ping_pong", pw)
	if here.APIUser(t).Authenticated {
		t.Fatal("the login here survived Django's rehash; the README's advice would be needless")
	}
	s.Browser().APILogin(t, "ping_pong", pw, true)
	if there.DjangoUser(t).Authenticated {
		t.Fatal("the login on Django survived the API's rehash; the README's advice would be needless")
	}
}
