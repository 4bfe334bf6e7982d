package djangointerop

import (
	"net/http"
	"testing"

	"github.com/djsessions/api/internal/apitest"
)

// Why README's "Running beside Django" pairs db with db: the API's cached_db
// keeps sessions in Redis under its own keys, which Django's cache (its own
// keys, pickled values) can never share, so nothing Django does reaches the
// API's cache. A logout on Django deletes the row and leaves the API serving
// the login from its cache until the entry expires.
func TestCachedDBHereMissesALogoutOnDjango(t *testing.T) {
	t.Parallel()
	s := besideWith(t, apitest.Options{Engine: "cached_db"}, "SESSION_ENGINE=db")
	s.Register(t, "cached", pw)
	b := s.Browser()
	b.APILogin(t, "cached", pw, true)
	key := b.Key()

	b.Django(t, http.MethodPost, "/logout", nil).Want(t, http.StatusNoContent, nil)

	if _, found := s.API.Stored(t, key); found {
		t.Fatal("Django's logout left the row")
	}
	if !s.BrowserWithKey(t, key).APIUser(t).Authenticated {
		t.Fatal("the API's cached_db saw Django's logout: update README's advice to run db beside Django")
	}
}
