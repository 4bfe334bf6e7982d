package apitest

import (
	"cmp"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/sessionengine"
	"github.com/djsessions/api/internal/testredis"
)

// Stored is what the engine keeps of a session, as a test reads it to see
// what was written: its signed data and when it expires.
type Stored struct {
	Data   string
	Expire time.Time
}

// storeView reads and changes what an engine keeps, behind the API's back:
// the django_session table, the session files, or the Redis keys.
type storeView interface {
	// get returns what is stored under key, expired or not, as long as the
	// engine still keeps it.
	get(t testing.TB, key string) (Stored, bool)
	// count is how many sessions are stored.
	count(t testing.TB) int
	// countOf is how many sessions are recorded as userID's.
	countOf(t testing.TB, userID int64) int
	setExpiry(t testing.TB, key string, at time.Time)
	setData(t testing.TB, key, data string)
	remove(t testing.TB, key string)
	// lock takes the lock that the engine's writes of key wait for.
	lock(t testing.TB, key string) heldLock
}

// Stored returns what the engine keeps under key, and whether it keeps
// anything: the django_session row for db and cached_db (the database is
// the truth there; for signed_cookies, the table must stay empty), the
// session file for file, the Redis key for cache. An expired session is
// found as long as the engine keeps it: a row or a file until
// clearsessions, a Redis key never.
func (a *App) Stored(t testing.TB, key string) (Stored, bool) {
	t.Helper()
	return a.store.get(t, key)
}

// CountStored returns how many sessions the engine keeps.
func (a *App) CountStored(t testing.TB) int {
	t.Helper()
	return a.store.count(t)
}

// CountStoredOf returns how many of the sessions the engine keeps are
// recorded as userID's, beside their data. Only engines with a user index
// record it (RequireUserIndex).
func (a *App) CountStoredOf(t testing.TB, userID int64) int {
	t.Helper()
	return a.store.countOf(t, userID)
}

// WantStoredUnchanged fails the test if the session under key is gone or
// differs from before: nothing was written to the store.
func (a *App) WantStoredUnchanged(t testing.TB, key string, before Stored) {
	t.Helper()
	after, found := a.Stored(t, key)
	if !found || after.Data != before.Data || !after.Expire.Equal(before.Expire) {
		t.Fatalf("the %s engine's session %s changed: was %+v, now %+v (found %v)", a.Engine, key, before, after, found)
	}
}

// SetStoredExpiry makes the session under key expire at, as if it had
// been saved so. On the cache engine a time past removes it, as Redis
// removes any key past its expiry.
func (a *App) SetStoredExpiry(t testing.TB, key string, at time.Time) {
	t.Helper()
	a.store.setExpiry(t, key, at)
}

// SetStoredData replaces the data stored under key, its expiry kept: what
// another program, or an attacker with access to the store, would write.
func (a *App) SetStoredData(t testing.TB, key, data string) {
	t.Helper()
	a.store.setData(t, key, data)
}

// DeleteStored deletes the session under key from the store directly, as
// another process or an operator would.
func (a *App) DeleteStored(t testing.TB, key string) {
	t.Helper()
	a.store.remove(t, key)
}

// RequireUserIndex skips the test unless the engine can list and end a
// user's sessions (my sessions, revoke, logout everywhere): the file and
// signed_cookies engines cannot, by design, and answer 501.
func (a *App) RequireUserIndex(t testing.TB) {
	t.Helper()
	if _, err := a.Sessions.UserSessions(context.Background(), 0); errors.Is(err, session.ErrNoIndex) {
		t.Skipf("the %s engine keeps no index of a user's sessions", a.Engine)
	}
}

// RequireDjangoTable skips the test unless the engine keeps its sessions
// in django_session, where a Django app sharing the database reads and
// writes them: db and cached_db.
func (a *App) RequireDjangoTable(t testing.TB) {
	t.Helper()
	if a.Engine != "db" && a.Engine != "cached_db" {
		t.Skipf("the %s engine does not keep sessions in django_session", a.Engine)
	}
}

// newStoreView returns the view of what the engine of s stores.
func newStoreView(t testing.TB, s sessionengine.Settings, db *sqlx.DB) storeView {
	t.Helper()
	switch s.Engine {
	case "file":
		return fileView{
			dir:    s.FilePath,
			prefix: cmp.Or(s.Options.CookieName, "sessionid"),
			age:    cmp.Or(s.Options.Age, session.DefaultAge),
		}
	case "cache":
		return redisView{rdb: testredis.Client(t), prefix: s.CacheKeyPrefix}
	case "cached_db":
		return tableView{db: db, cache: testredis.Client(t), cachePrefix: sessionengine.CachedDBPrefix(s.CacheKeyPrefix)}
	default: // db; and signed_cookies, whose table must stay empty
		return tableView{db: db}
	}
}

// storeLoads is how many times the API has loaded a session from its store.
func (a *App) storeLoads(t testing.TB) float64 {
	t.Helper()
	families, err := a.registry.Gather()
	if err != nil {
		t.Fatalf("apitest: gathering the metrics: %v", err)
	}
	var n float64
	for _, f := range families {
		if f.GetName() != "session_store_operations_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "operation" && l.GetValue() == "load" {
					n += m.GetCounter().GetValue()
				}
			}
		}
	}
	return n
}
