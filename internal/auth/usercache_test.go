package auth_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/djsessions/api/internal/apitest"
	"github.com/djsessions/api/internal/testdb"
)

// With the users cached (cmd/api does so on PostgreSQL), a change to a user
// made anywhere (another API process, a Django app, SQL) still reaches
// every process: PostgreSQL announces it, and each drops its copy.
func TestCachedUsersAreDroppedWhenChangedAnywhere(t *testing.T) {
	t.Parallel()
	url := testdb.PostgresURL(t)
	one := apitest.New(t, apitest.Options{DatabaseURL: url, CacheUsers: true})
	two := apitest.New(t, apitest.Options{DatabaseURL: url, CacheUsers: true})

	t.Run("a user deactivated by SQL is logged out on every process", func(t *testing.T) {
		u := register(t, one, "cached_deactivated")
		onOne, onTwo := one.Browser(), two.Browser()
		login(t, onOne, u.Username)
		login(t, onTwo, u.Username)
		wantAuthenticatedAs(t, onOne, u) // cached on both now
		wantAuthenticatedAs(t, onTwo, u)

		exec(t, one, "UPDATE auth_user SET is_active = false WHERE id = ?", u.ID)
		for _, cl := range []*apitest.Client{onOne, onTwo} {
			eventuallyAnonymous(t, cl)
		}
	})

	t.Run("a password changed on one process ends the sessions on the other", func(t *testing.T) {
		u := register(t, one, "cached_password")
		changer, other := one.Browser(), two.Mobile()
		login(t, changer, u.Username)
		login(t, other, u.Username)
		wantAuthenticatedAs(t, other, u)

		changer.Post("/api/auth/password", passwordChange{OldPassword: strongPassword, NewPassword: newPassword}).Want(t, http.StatusNoContent)
		wantAuthenticatedAs(t, changer, u)
		eventuallyAnonymous(t, other)
	})
}

// eventuallyAnonymous waits for cl's session check to say anonymous: the
// notification reaches the other processes a moment after the commit.
func eventuallyAnonymous(t *testing.T, cl *apitest.Client) {
	t.Helper()
	for range 50 {
		if got, _ := checkSession(t, cl); !got.Authenticated {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("still authenticated a second after the user changed")
}
