package apitest

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/redis/go-redis/v9"
)

// tableView is what the db and cached_db engines store: django_session.
// For cached_db, whose cache may hold a copy of a row, a change made
// behind the API's back also drops that copy, as the cache would have
// been told of a change made through the engine.
type tableView struct {
	db *sqlx.DB
	// cache and cachePrefix are cached_db's cache; nil for db.
	cache       redis.UniversalClient
	cachePrefix string
}

func (v tableView) get(t testing.TB, key string) (Stored, bool) {
	t.Helper()
	var r struct {
		Data   string    `db:"session_data"`
		Expire time.Time `db:"expire_date"`
	}
	err := v.db.Get(&r, v.db.Rebind("SELECT session_data, expire_date FROM django_session WHERE session_key = ?"), key)
	if errors.Is(err, sql.ErrNoRows) {
		return Stored{}, false
	}
	if err != nil {
		t.Fatalf("apitest: reading django_session: %v", err)
	}
	return Stored{Data: r.Data, Expire: r.Expire}, true
}

func (v tableView) count(t testing.TB) int {
	t.Helper()
	var n int
	if err := v.db.Get(&n, "SELECT count(*) FROM django_session"); err != nil {
		t.Fatalf("apitest: counting django_session: %v", err)
	}
	return n
}

func (v tableView) countOf(t testing.TB, userID int64) int {
	t.Helper()
	var n int
	if err := v.db.Get(&n, v.db.Rebind("SELECT count(*) FROM django_session WHERE user_id = ?"), userID); err != nil {
		t.Fatalf("apitest: counting django_session: %v", err)
	}
	return n
}

func (v tableView) setExpiry(t testing.TB, key string, at time.Time) {
	t.Helper()
	v.exec(t, "UPDATE django_session SET expire_date = ? WHERE session_key = ?", at.UTC().Truncate(time.Microsecond), key)
	v.dropCached(t, key)
}

func (v tableView) setData(t testing.TB, key, data string) {
	t.Helper()
	v.exec(t, "UPDATE django_session SET session_data = ? WHERE session_key = ?", data, key)
	v.dropCached(t, key)
}

func (v tableView) remove(t testing.TB, key string) {
	t.Helper()
	v.exec(t, "DELETE FROM django_session WHERE session_key = ?", key)
	v.dropCached(t, key)
}

func (v tableView) exec(t testing.TB, query string, args ...any) {
	t.Helper()
	res, err := v.db.Exec(v.db.Rebind(query), args...)
	if err != nil {
		t.Fatalf("apitest: %s: %v", query, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		t.Fatalf("apitest: %s changed %d rows (%v), want the session's one", query, n, err)
	}
}

// dropCached removes cached_db's copy of key, if any: the next read goes
// to the database.
func (v tableView) dropCached(t testing.TB, key string) {
	t.Helper()
	if v.cache == nil {
		return
	}
	if err := v.cache.Del(context.Background(), v.cachePrefix+key).Err(); err != nil {
		t.Fatalf("apitest: dropping the cached copy of %s: %v", key, err)
	}
}

// lock takes the session's row lock on PostgreSQL, which every write of it
// takes first; SQLite's writers lock the whole database, and no test
// needs that.
func (v tableView) lock(t testing.TB, key string) heldLock {
	t.Helper()
	if v.db.DriverName() != "postgres" {
		t.Fatalf("apitest: locking a session needs PostgreSQL, not %s", v.db.DriverName())
	}
	tx, err := v.db.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := tx.Get(&n, "SELECT count(*) FROM (SELECT 1 FROM django_session WHERE session_key = $1 FOR UPDATE) AS locked", key); err != nil || n != 1 {
		tx.Rollback()
		t.Fatalf("apitest: locking the row of %s: %d rows, %v", key, n, err)
	}
	var xid string
	if err := tx.Get(&xid, "SELECT pg_current_xact_id()::text"); err != nil {
		tx.Rollback()
		t.Fatal(err)
	}
	return &rowLock{view: v, tx: tx, xid: xid, key: key}
}

// rowLock is a transaction that holds a session's row lock.
type rowLock struct {
	view    tableView
	tx      *sqlx.Tx
	xid     string
	key     string
	removed bool
}

// waitForWriter waits for another connection to wait on the transaction:
// a write of the session has reached its locking statement.
func (l *rowLock) waitForWriter(t testing.TB, _ func() bool) {
	t.Helper()
	poll(t, "a write of the session to wait for its row lock", func() bool {
		var waiting int
		err := l.view.db.Get(&waiting, `SELECT count(*) FROM pg_locks
			WHERE locktype = 'transactionid' AND NOT granted AND transactionid::text = $1`, l.xid)
		if err != nil {
			t.Fatal(err)
		}
		return waiting > 0
	})
}

func (l *rowLock) remove(t testing.TB) {
	t.Helper()
	if _, err := l.tx.Exec("DELETE FROM django_session WHERE session_key = $1", l.key); err != nil {
		t.Fatal(err)
	}
	l.removed = true
}

// release commits, and only then drops a cached copy of a removed session:
// a read before the commit could have cached the row again.
func (l *rowLock) release(t testing.TB) {
	t.Helper()
	if err := l.tx.Commit(); err != nil {
		if errors.Is(err, sql.ErrTxDone) {
			return
		}
		t.Fatal(err)
	}
	if l.removed {
		l.view.dropCached(t, l.key)
	}
}
