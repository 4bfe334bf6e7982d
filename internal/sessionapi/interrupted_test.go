package sessionapi_test

import (
	"net/http"
	"testing"

	"github.com/djsessions/api/internal/apitest"
)

// A request that loaded its session before another request deleted it (a
// logout elsewhere) must not bring it back when it saves: it answers 400
// session_interrupted, as Django's SessionInterrupted. The interleaving is
// arranged with the lock that the engine's writes of the session take (a
// row lock on PostgreSQL, a file's flock): the write waits on it while the
// session is deleted, then finds nothing to update.
func TestAWriteToASessionDeletedMeanwhileIsInterrupted(t *testing.T) {
	t.Parallel()
	app := apitest.New(t, apitest.Options{})
	b := app.Browser()
	b.Post("/api/session/visit", nil).Want(t, http.StatusOK)
	key := b.SessionKey()

	lock := app.LockSession(t, key)
	answered := make(chan *apitest.Response, 1)
	go func() { answered <- b.Post("/api/session/visit", nil) }()
	lock.WaitForWriter(t)
	lock.Delete(t)
	lock.Release(t)

	res := <-answered
	res.WantError(t, http.StatusBadRequest, "session_interrupted")
	res.WantNoCookie(t)
	if _, found := app.Stored(t, key); found {
		t.Fatal("the deleted session was brought back by the interrupted write")
	}
	if n := app.CountStored(t); n != 0 {
		t.Fatalf("%d sessions stored, want none", n)
	}
}
