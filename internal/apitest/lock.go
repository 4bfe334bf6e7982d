package apitest

import (
	"testing"
	"time"
)

// heldLock is an engine's lock of one session, held by a test.
type heldLock interface {
	// waitForWriter returns once a write of the session waits for the lock;
	// loaded reports whether the API has loaded a session since the lock
	// was taken, for engines whose waiting writes cannot be seen.
	waitForWriter(t testing.TB, loaded func() bool)
	// remove deletes the session while the lock is held.
	remove(t testing.TB)
	release(t testing.TB)
}

// SessionLock is the lock that every write of one session takes, held by
// the test: the row lock of db and cached_db (on PostgreSQL), the flock of
// file. The cache engine has none: its writes are optimistic.
type SessionLock struct {
	held  heldLock
	app   *App
	loads float64 // the store's loads when the lock was taken
}

// LockSession takes the lock of the session under key, released when the
// test ends if not before. It skips the test on an engine without one.
func (a *App) LockSession(t testing.TB, key string) *SessionLock {
	t.Helper()
	l := &SessionLock{app: a, loads: a.storeLoads(t)}
	l.held = a.store.lock(t, key)
	t.Cleanup(func() { l.held.release(t) })
	return l
}

// WaitForWriter returns once a request's write of the session waits for
// the lock: on PostgreSQL, its statement waits on the row; on the file
// engine, whose writes poll the lock, the API has loaded a session since
// the lock was taken, after which its write can only wait.
func (l *SessionLock) WaitForWriter(t testing.TB) {
	t.Helper()
	l.held.waitForWriter(t, func() bool { return l.app.storeLoads(t) > l.loads })
}

// Delete deletes the session while holding its lock, as a logout by
// another request would.
func (l *SessionLock) Delete(t testing.TB) {
	t.Helper()
	l.held.remove(t)
}

// Release lets go of the lock: the writes waiting for it go on.
func (l *SessionLock) Release(t testing.TB) {
	t.Helper()
	l.held.release(t)
}

// poll waits until cond holds, failing the test if it does not within ten
// seconds, which only a hung API would take.
func poll(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("apitest: gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
