package djangointerop

import (
	"testing"
	"time"

	"github.com/djsessions/api/internal/apitest"
)

// The API's idle timeout counts requests by the session key _last_activity;
// the Django project keeps it too with activity.IdleTimeoutMiddleware
// (README, "Running beside Django"). Without it, a user busy on Django only
// would be logged out on both sides at their next request here.
func TestWithTheMiddlewareBothSidesKeepOneIdleTimeout(t *testing.T) {
	t.Parallel()
	// Long enough that a request slowed down by a busy machine is not
	// mistaken for idleness, short enough to wait out.
	const timeout = 4 * time.Second
	s := besideWith(t, apitest.Options{IdleTimeout: timeout}, "SESSION_IDLE_TIMEOUT=4")
	s.Register(t, "busy", pw)
	s.Register(t, "idle", pw)
	busy, idle := s.Browser(), s.Browser()
	busy.DjangoLogin(t, "busy", pw)
	idle.APILogin(t, "idle", pw, false)
	if !busy.APIUser(t).Authenticated {
		t.Fatal("the login on Django is not one here")
	}

	// busy uses only Django, for longer than the timeout.
	for range 6 {
		time.Sleep(time.Second)
		if !busy.DjangoUser(t).Authenticated {
			t.Fatal("Django ended the login of a user busy on it")
		}
	}
	if !busy.APIUser(t).Authenticated {
		t.Fatal("the API ended, as idle, the login of a user busy on Django")
	}

	// idle has made no request since logging in here: Django ends it.
	key := idle.Key()
	if idle.DjangoUser(t).Authenticated {
		t.Fatal("Django kept a login idle for longer than the timeout")
	}
	if s.BrowserWithKey(t, key).APIUser(t).Authenticated {
		t.Fatal("the login Django ended as idle is still one here")
	}

	// And busy, left idle in turn, is ended here.
	time.Sleep(timeout + 1500*time.Millisecond)
	busy.API.Get("/api/auth/me").WantError(t, 401, "session_expired")
	if busy.DjangoUser(t).Authenticated {
		t.Fatal("the login the API ended as idle is still one on Django")
	}
}
