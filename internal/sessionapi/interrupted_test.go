package sessionapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/djsessions/api/internal/apitest"
)

// A request that loaded its session before another request deleted it (a
// logout elsewhere) must not bring it back when it saves: it answers 400
// session_interrupted, as Django's SessionInterrupted. The interleaving is
// arranged on PostgreSQL with a row lock: the write's UPDATE waits on it
// while the row is deleted, then finds nothing to update.
func TestAWriteToASessionDeletedMeanwhileIsInterrupted(t *testing.T) {
	t.Parallel()
	app := apitest.New(t, apitest.Options{})
	b := app.Browser()
	b.Post("/api/session/visit", nil).Want(t, http.StatusOK)
	key := b.SessionKey()

	tx, err := app.DB.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec("SELECT 1 FROM django_session WHERE session_key = $1 FOR UPDATE", key); err != nil {
		t.Fatal(err)
	}
	var xid string
	if err := tx.Get(&xid, "SELECT pg_current_xact_id()::text"); err != nil {
		t.Fatal(err)
	}

	answered := make(chan *apitest.Response, 1)
	go func() { answered <- b.Post("/api/session/visit", nil) }()
	waitForAWaiterOn(t, app, xid)

	if _, err := tx.Exec("DELETE FROM django_session WHERE session_key = $1", key); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	res := <-answered
	res.WantError(t, http.StatusBadRequest, "session_interrupted")
	res.WantNoCookie(t)
	if _, found := app.Row(t, key); found {
		t.Fatal("the deleted session was brought back by the interrupted write")
	}
	if n := app.CountRows(t); n != 0 {
		t.Fatalf("%d sessions stored, want none", n)
	}
}

// waitForAWaiterOn returns once another connection waits for transaction
// xid to end: the request under test has reached its UPDATE of the row.
func waitForAWaiterOn(t *testing.T, app *apitest.App, xid string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var waiting int
		err := app.DB.Get(&waiting, `SELECT count(*) FROM pg_locks
			WHERE locktype = 'transactionid' AND NOT granted AND transactionid::text = $1`, xid)
		if err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the request never reached its UPDATE")
}
