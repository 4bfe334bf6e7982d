// Package filestore keeps sessions in files, one per session, as Django's
// file session backend does (SESSION_ENGINE "file"): the file named
// <prefix><key> in SESSION_FILE_PATH holds the signed session data and
// nothing else, so Django and this store read each other's files.
//
// A session's expiry is its file's modification time plus the cookie age.
// That is how Django judges a file whose data has no _session_expiry, so a
// file written here expires for Django when it expires here; and it lets
// Load refuse an expired session from the file's metadata, without decoding
// its data. The store sets the time to Record.Expiry minus the age, which
// for a session of the default age is the time of the write, as Django's.
//
// Besides session files, the directory holds two kinds of short-lived file:
//
//	<prefix><key>.lock     the lock of key, held by every write of it
//	<prefix><key>.tmp.*    a write in progress, linked or renamed into place
//
// Both exist only while a write of key runs; a crash can leave them
// behind, and DeleteExpired removes them. Neither is ever read as a
// session, here or by Django: their names are not the prefix and a key.
//
// The directory must be on a local file system: writes of one key exclude
// each other with flock(2), which NFS emulates with POSIX locks, and those
// do not exclude two goroutines of one process.
package filestore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/djsessions/api/internal/session"
)

var _ session.Store = (*Store)(nil)

// ErrInvalidKey is returned by Create and Rotate for a new key that no
// session can have (session.ValidKey). The session.Manager never makes one.
var ErrInvalidKey = errors.New("filestore: invalid session key")

// Names of the short-lived files beside a session's, after its key.
const (
	lockSuffix = ".lock"
	tempInfix  = ".tmp."
)

// Store is a session.Store on a directory of session files.
type Store struct {
	dir    string
	prefix string
	age    time.Duration
}

// New returns a Store on dir, which must exist, as Django requires of
// SESSION_FILE_PATH. Every file name starts with prefix: Django uses
// SESSION_COOKIE_NAME. age is SESSION_COOKIE_AGE, which must be Django's
// for the two to agree on when a session expires (see the package comment).
func New(dir, prefix string, age time.Duration) (*Store, error) {
	if prefix == "" || strings.ContainsAny(prefix, "/\x00") {
		return nil, fmt.Errorf("filestore: file prefix %q must be non-empty, without / or NUL", prefix)
	}
	if age <= 0 {
		return nil, fmt.Errorf("filestore: cookie age %v must be positive", age)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("filestore: session directory: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("filestore: session directory %s is not a directory", dir)
	}
	return &Store{dir: dir, prefix: prefix, age: age}, nil
}

// Load implements session.Store. It takes no lock: a write replaces the
// file by a rename or link, so a read sees the old file or the new one,
// whole. An empty file is Django's placeholder for a session whose data it
// is about to write, and is not a session yet.
func (s *Store) Load(ctx context.Context, key string) (string, bool, error) {
	if !session.ValidKey(key) {
		return "", false, nil // it must not become a path, and no file has its name
	}
	data, expiry, err := s.read(key)
	if errors.Is(err, session.ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, hideKeys(err, key)
	}
	if data == "" || !expiry.After(time.Now()) {
		return "", false, nil
	}
	return data, true, nil
}

// Create implements session.Store. The file appears with all its data at
// once, by link(2), which unlike rename(2) never replaces a file: of two
// creators of one key, the second finds the name taken.
func (s *Store) Create(ctx context.Context, key string, r session.Record) error {
	if !session.ValidKey(key) {
		return ErrInvalidKey
	}
	return hideKeys(s.create(ctx, key, r), key)
}

func (s *Store) create(ctx context.Context, key string, r session.Record) error {
	l, err := s.lock(ctx, key)
	if err != nil {
		return err
	}
	defer l.unlock()
	tmp, err := s.writeTemp(key, r)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := s.link(tmp, key); err != nil {
		return err
	}
	return s.syncDir()
}

// Update implements session.Store: under key's lock, it reads the file,
// writes what edit makes of it to a temporary file and renames that over
// it. Like Django's save(), it does not look at the expiry: a session that
// the request loaded is still its own.
func (s *Store) Update(ctx context.Context, key string, edit session.Edit) error {
	if !session.ValidKey(key) {
		return session.ErrNotFound
	}
	return hideKeys(s.locked(ctx, key, edit, func(tmp string) error {
		return os.Rename(tmp, s.path(key))
	}), key)
}

// Rotate implements session.Store: under old's lock, the edited record is
// linked to new's name, then old's file is removed. The new file needs no
// lock: it appears whole, and nothing here touches it afterwards. A crash
// between the two steps leaves both sessions; the old one still has the
// data from before the rotation, never what was stored under new.
func (s *Store) Rotate(ctx context.Context, old, new string, edit session.Edit) error {
	if !session.ValidKey(old) {
		return session.ErrNotFound
	}
	if !session.ValidKey(new) {
		return ErrInvalidKey
	}
	return hideKeys(s.locked(ctx, old, edit, func(tmp string) error {
		if err := s.link(tmp, new); err != nil {
			return err
		}
		if err := removeFile(s.path(old)); err != nil {
			os.Remove(s.path(new)) // nothing changes: the client keeps old
			return err
		}
		return nil
	}), old, new)
}

// Delete implements session.Store. It takes key's lock, so that an Update
// in progress cannot rename its file back into place afterwards: a deleted
// session stays deleted.
func (s *Store) Delete(ctx context.Context, key string) error {
	if !session.ValidKey(key) {
		return nil
	}
	return hideKeys(s.delete(ctx, key), key)
}

func (s *Store) delete(ctx context.Context, key string) error {
	l, err := s.lock(ctx, key)
	if err != nil {
		return err
	}
	defer l.unlock()
	err = os.Remove(s.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.syncDir()
}

// locked runs edit on the data of key's file under key's lock, writes its
// record to a temporary file, and has put move that into place.
func (s *Store) locked(ctx context.Context, key string, edit session.Edit, put func(tmp string) error) error {
	l, err := s.lock(ctx, key)
	if err != nil {
		return err
	}
	defer l.unlock()
	current, _, err := s.read(key)
	if err != nil {
		return err
	}
	r, err := edit(current)
	if err != nil {
		return err
	}
	tmp, err := s.writeTemp(key, r)
	if err != nil {
		return err
	}
	// After a rename there is nothing left to remove; after a link, the
	// temporary name. Nobody else can have made a file of that name since:
	// temporary files are named after the key whose lock their writer holds.
	defer os.Remove(tmp)
	if err := put(tmp); err != nil {
		return err
	}
	return s.syncDir()
}
