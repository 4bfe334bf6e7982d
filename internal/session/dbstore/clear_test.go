package dbstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/djsessions/api/internal/database"
	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/session/dbstore"
	"github.com/djsessions/api/internal/testdb"
)

// A request that loaded a session just before it expired may still save
// it, which renews it (Update, as Django's save, does not look at the
// expiry). clearsessions, picking it as expired a moment earlier, must not
// then delete the session that the save has made live again.
//
// It is run on the plain table and on the table db/optional partitions,
// where the delete's row lock is taken in one partition.
func TestDeleteExpiredSparesASessionRenewedWhileItWaitedForTheRow(t *testing.T) {
	for _, partitions := range []int{0, 8} {
		t.Run(fmt.Sprintf("%d partitions", partitions), func(t *testing.T) {
			db := testdb.Open(t, testdb.PostgresURL(t))
			if partitions > 0 {
				if err := database.PartitionSessions(context.Background(), db, partitions); err != nil {
					t.Fatal(err)
				}
			}
			deleteExpiredSparesARenewedSession(t, db)
		})
	}
}

func deleteExpiredSparesARenewedSession(t *testing.T, db *sqlx.DB) {
	ctx := context.Background()
	st := dbstore.New(db)
	const key = "dbstoretest0000000000000000001ab"
	if err := st.Create(ctx, key, session.Record{Data: "d", Expiry: time.Now().Add(-time.Second)}); err != nil {
		t.Fatal(err)
	}

	// The save holds the row's lock while it renews the session.
	tx := db.MustBegin()
	defer tx.Rollback()
	tx.MustExec(`SELECT 1 FROM django_session WHERE session_key = $1 FOR UPDATE`, key)

	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := st.DeleteExpired(ctx, time.Now(), 100)
		done <- result{n, err}
	}()
	waitForLockWait(t, db, tx)
	tx.MustExec(`UPDATE django_session SET expire_date = $1 WHERE session_key = $2`, time.Now().Add(time.Hour).UTC(), key)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if _, found, err := st.Load(ctx, key); err != nil || !found {
		t.Fatalf("the renewed session: found %v, err %v; DeleteExpired removed %d sessions", found, err, r.n)
	}
}

// waitForLockWait waits until another backend waits for a lock that tx
// holds. It asks through db, each query a transaction of its own:
// PostgreSQL shows a transaction the activity of the others as it was at
// its first look.
func waitForLockWait(t *testing.T, db *sqlx.DB, tx *sqlx.Tx) {
	t.Helper()
	var pid int
	if err := tx.Get(&pid, `SELECT pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	for range 500 {
		var n int
		if err := db.Get(&n, `SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))`, pid); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("nothing waits for the lock")
}
