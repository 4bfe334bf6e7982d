package filestore

import (
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/djsessions/api/internal/session"
)

// read returns the data in key's file and when it expires, or
// session.ErrNotFound if there is no such file.
func (s *Store) read(key string) (string, time.Time, error) {
	// O_NOFOLLOW: a symbolic link planted in the directory is not followed
	// out of it.
	f, err := os.OpenFile(s.path(key), os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return "", time.Time{}, session.ErrNotFound
	}
	if err != nil {
		return "", time.Time{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", time.Time{}, err
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return "", time.Time{}, err
	}
	return string(data), s.expiry(fi), nil
}

// writeTemp writes r to a new temporary file, durably, and returns its
// path. The file is named after key, whose lock the caller holds.
func (s *Store) writeTemp(key string, r session.Record) (string, error) {
	f, err := os.CreateTemp(s.dir, s.prefix+key+tempInfix+"*")
	if err != nil {
		return "", err
	}
	_, err = f.WriteString(r.Data)
	if err == nil {
		// After the last write, which would set the time again; before
		// the fsync, which makes the time durable with the data.
		err = os.Chtimes(f.Name(), time.Time{}, s.mtime(r.Expiry))
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// link gives the file tmp the name of key's file, unless that is taken.
func (s *Store) link(tmp, key string) error {
	err := os.Link(tmp, s.path(key))
	if errors.Is(err, fs.ErrExist) {
		return session.ErrKeyExists
	}
	return err
}

// syncDir makes the latest changes of names in the directory durable: the
// fsync of a file does not cover its rename, link or removal.
func (s *Store) syncDir() error {
	d, err := os.Open(s.dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// path is the session file of key, which must be valid: only [a-z0-9],
// so the name cannot leave the directory.
func (s *Store) path(key string) string { return filepath.Join(s.dir, s.prefix+key) }

// Modification times that mtime gives: os.Chtimes takes a time as Unix
// nanoseconds, an int64, and garbles one outside it.
var (
	minMtime = time.Unix(0, 0)
	maxMtime = time.Unix(0, math.MaxInt64) // April 2262
)

// mtime is the modification time that makes a file expire at expiry,
// within what os.Chtimes can set: a session that expires before 1970 has
// expired either way, and one made to last past 2262 lasts long enough.
func (s *Store) mtime(expiry time.Time) time.Time {
	switch t := expiry.Add(-s.age); {
	case t.Before(minMtime):
		return minMtime
	case t.After(maxMtime):
		return maxMtime
	default:
		return t
	}
}

// expiry is when the session in the file described by fi expires.
func (s *Store) expiry(fi fs.FileInfo) time.Time { return fi.ModTime().Add(s.age) }

// removeFile removes path; one already gone, removed by another process
// or by Django, is not an error.
func removeFile(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
