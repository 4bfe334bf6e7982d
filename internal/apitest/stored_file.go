package apitest

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/djsessions/api/internal/session"
)

// fileView is what the file engine stores: a file named <prefix><key> in
// dir holding the signed data, which expires age after its modification
// time (see package filestore).
type fileView struct {
	dir, prefix string
	age         time.Duration
}

func (v fileView) path(key string) string { return filepath.Join(v.dir, v.prefix+key) }

func (v fileView) get(t testing.TB, key string) (Stored, bool) {
	t.Helper()
	if !session.ValidKey(key) {
		return Stored{}, false // no file can have its name
	}
	data, err := os.ReadFile(v.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return Stored{}, false
	}
	if err != nil {
		t.Fatalf("apitest: reading a session file: %v", err)
	}
	return Stored{Data: string(data), Expire: v.mtime(t, key).Add(v.age)}, true
}

func (v fileView) mtime(t testing.TB, key string) time.Time {
	t.Helper()
	fi, err := os.Stat(v.path(key))
	if err != nil {
		t.Fatalf("apitest: %v", err)
	}
	return fi.ModTime()
}

// count counts the session files: the lock and temporary files of writes
// in progress are named after a key too, with a suffix.
func (v fileView) count(t testing.TB) int {
	t.Helper()
	entries, err := os.ReadDir(v.dir)
	if err != nil {
		t.Fatalf("apitest: listing the session files: %v", err)
	}
	n := 0
	for _, e := range entries {
		if key, ok := strings.CutPrefix(e.Name(), v.prefix); ok && session.ValidKey(key) {
			n++
		}
	}
	return n
}

func (v fileView) countOf(t testing.TB, _ int64) int {
	t.Helper()
	t.Fatal("apitest: the file engine records no user beside a session (RequireUserIndex)")
	return 0
}

func (v fileView) setExpiry(t testing.TB, key string, at time.Time) {
	t.Helper()
	if err := os.Chtimes(v.path(key), time.Time{}, at.Add(-v.age)); err != nil {
		t.Fatalf("apitest: %v", err)
	}
}

func (v fileView) setData(t testing.TB, key, data string) {
	t.Helper()
	mtime := v.mtime(t, key)
	if err := os.WriteFile(v.path(key), []byte(data), 0o600); err != nil {
		t.Fatalf("apitest: %v", err)
	}
	v.setExpiry(t, key, mtime.Add(v.age))
}

func (v fileView) remove(t testing.TB, key string) {
	t.Helper()
	if err := os.Remove(v.path(key)); err != nil {
		t.Fatalf("apitest: %v", err)
	}
}

// lock takes the key's lock as the store takes it: an exclusive flock of
// <file>.lock, which the holder removes before it lets go.
func (v fileView) lock(t testing.TB, key string) heldLock {
	t.Helper()
	path := v.path(key) + ".lock"
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		t.Fatalf("apitest: %v", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		t.Fatalf("apitest: flock %s: %v", path, err)
	}
	return &flockLock{view: v, key: key, f: f}
}

// flockLock is a session file's lock, held.
type flockLock struct {
	view fileView
	key  string
	f    *os.File
}

// waitForWriter waits until the API has loaded a session since the lock
// was taken: the store polls its lock, so a write cannot be seen waiting,
// but past the load it cannot write without the lock.
func (l *flockLock) waitForWriter(t testing.TB, loaded func() bool) {
	t.Helper()
	poll(t, "the API to load the session", loaded)
}

func (l *flockLock) remove(t testing.TB) {
	t.Helper()
	l.view.remove(t, l.key)
}

func (l *flockLock) release(t testing.TB) {
	t.Helper()
	if l.f == nil {
		return
	}
	os.Remove(l.f.Name())
	l.f.Close()
	l.f = nil
}
