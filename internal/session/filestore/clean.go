package filestore

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/djsessions/api/internal/session"
)

// dirChunk is how many directory entries DeleteExpired reads at a time, so
// that a huge directory is never listed into memory whole.
const dirChunk = 1024

// DeleteExpired implements session.Store. It removes an expired file under
// its key's lock, after looking at its time again: a write that extended
// the session meanwhile is never undone, and a session being written is
// left for the next run. Several processes may run it at once; a file that
// another removed first is simply not counted. On the way it removes the
// lock and temporary files that crashed writers left behind, which are not
// counted either.
//
// Each call reads the directory from its start, so a clean-up in batches
// reads the live sessions' entries once per batch.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time, limit int) (int, error) {
	d, err := os.Open(s.dir)
	if err != nil {
		return 0, err
	}
	defer d.Close()
	removed := 0
	for removed < limit {
		entries, err := d.ReadDir(dirChunk)
		for _, e := range entries {
			if err := ctx.Err(); err != nil {
				return removed, err
			}
			gone, err := s.clean(e, now)
			if err != nil {
				return removed, err
			}
			if gone {
				if removed++; removed == limit {
					return removed, nil
				}
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return removed, err
		}
	}
	return removed, nil
}

// clean removes the directory entry e if it is an expired session (and
// then reports true) or what a crashed write left behind. Anything else in
// the directory is not the store's, and is left alone.
func (s *Store) clean(e fs.DirEntry, now time.Time) (bool, error) {
	if !e.Type().IsRegular() {
		return false, nil
	}
	rest, ok := strings.CutPrefix(e.Name(), s.prefix)
	if !ok {
		return false, nil
	}
	key, suffix, dotted := strings.Cut(rest, ".")
	switch {
	case !session.ValidKey(key):
		return false, nil
	case !dotted:
		gone, err := s.removeExpired(e, key, now)
		return gone, hideKeys(err, key)
	case "."+suffix == lockSuffix:
		return false, hideKeys(s.removeLeftover(key, ""), key)
	case strings.HasPrefix("."+suffix, tempInfix):
		return false, hideKeys(s.removeLeftover(key, e.Name()), key)
	}
	return false, nil
}

// removeExpired removes key's session file, described by e, if it expired
// before now.
func (s *Store) removeExpired(e fs.DirEntry, key string, now time.Time) (bool, error) {
	fi, err := e.Info()
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !s.expiry(fi).Before(now) {
		return false, nil // the common case, decided without a lock
	}
	l, err := s.tryLock(key)
	if l == nil || err != nil {
		return false, err // being written, so hardly forgotten
	}
	defer l.unlock()
	fi, err = os.Lstat(s.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !s.expiry(fi).Before(now) {
		return false, nil
	}
	err = os.Remove(s.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil // Django's own clean-up got there first
	}
	return err == nil, err
}

// removeLeftover removes what a crashed write of key left behind, if
// nobody holds key's lock: every writer holds it for as long as its files
// exist, so if it is free they are a crashed writer's. Taking the lock and
// letting it go removes the lock file; temp, if not "", is a temporary file
// to remove as well. (The lock file itself is never removed but by
// unlock: removed under a holder, its path could get a new file, locked by
// another, that the holder's unlock would then remove.)
func (s *Store) removeLeftover(key, temp string) error {
	l, err := s.tryLock(key)
	if l == nil || err != nil {
		return err
	}
	defer l.unlock()
	if temp == "" {
		return nil
	}
	return removeFile(filepath.Join(s.dir, temp))
}
