package filestore

import (
	"context"
	"errors"
	"os"
	"syscall"
	"time"
)

// How long a write waits between tries of a lock held by another: short
// at first, since a write holds it for about two fsyncs, and never so long
// that a free lock stays untaken for more than a few milliseconds.
const (
	firstWait = 100 * time.Microsecond
	maxWait   = 5 * time.Millisecond
)

// heldLock is a key's lock file, locked by this Store.
//
// flock(2) locks belong to an open file, not to a process, so two opens of
// the file exclude each other whether they are in two processes or in two
// goroutines of one. The holder removes the file before it lets go of it,
// so lock files do not pile up beside the sessions; whoever was waiting on
// the removed file then finds it is no longer the one at the path, and
// starts again with the path's new file.
type heldLock struct {
	f    *os.File
	path string
}

// lock takes key's lock, waiting for it until ctx is done.
func (s *Store) lock(ctx context.Context, key string) (*heldLock, error) {
	wait := firstWait
	for {
		l, err := s.tryLock(key)
		if l != nil || err != nil {
			return l, err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, maxWait)
	}
}

// tryLock takes key's lock if nobody holds it, and returns nil, nil if
// somebody does.
func (s *Store) tryLock(key string) (*heldLock, error) {
	path := s.path(key) + lockSuffix
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
		if err != nil {
			return nil, err
		}
		locked, err := flockNB(f)
		if err != nil || !locked {
			f.Close()
			return nil, err
		}
		current, err := isAt(f, path)
		if err != nil {
			f.Close()
			return nil, err
		}
		if current {
			return &heldLock{f: f, path: path}, nil
		}
		// The holder before us removed the file after we opened it: its
		// lock now excludes nobody. Try the file at the path now.
		f.Close()
	}
}

// unlock removes the lock file, then lets go of it. In this order, nobody
// can take the lock of a file that is still at the path after it is gone.
// A file that cannot be removed is harmless: the next holder uses it, and
// DeleteExpired tries again.
func (l *heldLock) unlock() {
	os.Remove(l.path)
	l.f.Close()
}

// flockNB takes an exclusive flock on f if nobody holds one.
func flockNB(f *os.File) (bool, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return false, err
	}
	var ferr error
	err = rc.Control(func(fd uintptr) {
		for {
			ferr = syscall.Flock(int(fd), syscall.LOCK_EX|syscall.LOCK_NB)
			if ferr != syscall.EINTR {
				return
			}
		}
	})
	if err != nil {
		return false, err
	}
	if errors.Is(ferr, syscall.EWOULDBLOCK) {
		return false, nil
	}
	return ferr == nil, ferr
}

// isAt reports whether the open file f is still the file at path.
func isAt(f *os.File, path string) (bool, error) {
	held, err := f.Stat()
	if err != nil {
		return false, err
	}
	now, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return os.SameFile(held, now), nil
}
