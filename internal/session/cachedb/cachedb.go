// Package cachedb is Django's cached_db session engine: the database is the
// truth and a cache (Redis) in front of it serves reads. Every write goes to
// the database first, then to the cache, so that a logout or a revoke on
// one process is seen at once by every process sharing the cache. A cache
// that fails never fails a request: reads fall back to the database, and
// the store reports itself degraded until the cache answers again.
package cachedb

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/djsessions/api/internal/session"
)

// Cache is what the store needs of a cache: plain values with an expiry.
type Cache interface {
	// Get returns the value under key; found is false if there is none.
	Get(ctx context.Context, key string) (value string, found bool, err error)
	// Set stores value under key until expiry, whatever was there.
	Set(ctx context.Context, key, value string, expiry time.Time) error
	// Add stores value under key until expiry only if nothing is there.
	Add(ctx context.Context, key, value string, expiry time.Time) error
	// Delete removes the keys; missing ones are not an error.
	Delete(ctx context.Context, keys ...string) error
	// Flush removes everything this cache holds of the sessions.
	Flush(ctx context.Context) error
}

// Database is the store of record: a session.Store that can also find and
// end a user's sessions, and tell when a session expires (dbstore).
type Database interface {
	session.Store
	session.UserIndex
	// LoadRecord is Load with the session's expiry.
	LoadRecord(ctx context.Context, key string) (r session.Record, found bool, err error)
}

var (
	_ session.Store     = (*Store)(nil)
	_ session.UserIndex = (*Store)(nil)
)

// Peers carries word to the other processes that share the cache.
type Peers interface {
	// Stale tells them that the copies of keys may be stale: this process
	// changed or deleted those sessions in the database and could not
	// update the cache. Each of them marks the copies stale (Store.Invalidate);
	// one that reaches the cache is enough.
	Stale(ctx context.Context, keys ...string) error
}

// Store is a session.Store and session.UserIndex on db, with cache in front.
type Store struct {
	db    Database
	cache Cache
	peers Peers // nil: a single process, whose own reads skip a suspect cache
	log   *slog.Logger

	mu sync.Mutex
	// suspect is set when a write to the cache failed: an entry there may
	// be stale (a session this process logged out, say), so the cache is
	// bypassed, and flushed before it is trusted again.
	suspect bool
	// failures counts cache failures, so that a flush can tell whether
	// one happened while it ran.
	failures uint64
	// flushing is set while one caller tries to flush a suspect cache;
	// nextTry is when the next may try after one failed.
	flushing bool
	nextTry  time.Time
}

// New returns a Store on db with cache in front of it, which tells peers
// (nil for none) of the copies it could not update.
func New(db Database, cache Cache, peers Peers, log *slog.Logger) *Store {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{db: db, cache: cache, peers: peers, log: log}
}

// Load implements session.Store: from the cache, else from the database,
// refilling the cache. The refill is an Add, which never replaces what is
// there: a write, which Sets the cache while it holds the database's lock,
// or a deletion's tombstone, always wins over a refill that read the
// database before them.
func (s *Store) Load(ctx context.Context, key string) (string, bool, error) {
	if !session.ValidKey(key) {
		return "", false, nil
	}
	cached := s.usable(ctx)
	if cached {
		data, found, err := s.cache.Get(ctx, key)
		switch {
		case err != nil:
			s.failed("get", err)
			cached = false
		case found && data == tombstone:
			return "", false, nil
		case found && data == staleMark:
			cached = false // the database's, and no refill until the mark expires
		case found:
			return data, true, nil
		}
	}
	r, found, err := s.db.LoadRecord(ctx, key)
	if err != nil || !found || !cached {
		return r.Data, found, err
	}
	// Until the session's expiry, as Django's cached_db refills: the
	// cache is never asked whether a session has expired.
	if err := s.cache.Add(ctx, key, r.Data, r.Expiry); err != nil {
		s.failed("refill", err)
	}
	return r.Data, true, nil
}

// tombstone marks a deleted session in the cache, so that a refill racing
// the deletion cannot put the session back. Signed data is never empty.
const tombstone = ""

// staleMark marks a copy that another process could not update: read from
// the database, not refilled, until it expires (tombstoneTTL). Signed data
// always has a colon.
const staleMark = "stale"

const (
	// tombstoneTTL outlasts any refill in flight when a session is deleted.
	tombstoneTTL = time.Minute
	// retryInterval is how long after a failed attempt to reach a suspect
	// cache the next one is made. Meanwhile requests do not wait for the
	// cache: a client that retries an unreachable Redis takes seconds to
	// give up.
	retryInterval = time.Second
)

// Create implements session.Store. No one else knows the key yet, so the
// cache can follow the database.
func (s *Store) Create(ctx context.Context, key string, r session.Record) error {
	if err := s.db.Create(ctx, key, r); err != nil {
		return err
	}
	s.set(ctx, key, r)
	return nil
}

// Update implements session.Store: the database's Update, whose row lock
// keeps concurrent requests from losing changes, with the cache set while
// that lock is held, so that the cache sees the writes in the database's
// order.
func (s *Store) Update(ctx context.Context, key string, edit session.Edit) error {
	setCache, cached := false, false
	err := s.db.Update(ctx, key, func(current string) (session.Record, error) {
		r, err := edit(current)
		if err == nil {
			cached = s.set(ctx, key, r)
			setCache = true
		}
		return r, err
	})
	switch {
	case err == nil && !cached:
		s.announce(ctx, key)
	case err != nil && setCache:
		// The database did not take what the cache now holds.
		s.drop(ctx, key)
	}
	if errors.Is(err, session.ErrNotFound) {
		s.bury(ctx, key) // deleted meanwhile: no copy may outlive it
	}
	return err
}

// Rotate implements session.Store: the new key is cached under the old
// row's lock, and the old one buried once the database has let it go.
func (s *Store) Rotate(ctx context.Context, old, new string, edit session.Edit) error {
	setCache := false
	err := s.db.Rotate(ctx, old, new, func(current string) (session.Record, error) {
		r, err := edit(current)
		if err == nil {
			s.set(ctx, new, r)
			setCache = true
		}
		return r, err
	})
	if err != nil && setCache {
		s.drop(ctx, new)
	}
	if err == nil || errors.Is(err, session.ErrNotFound) {
		s.bury(ctx, old)
	}
	return err
}

// announce tells the peers that the copies of keys may be stale, when this
// process could not update them: a process that Redis cannot hear from
// while the others can must not leave them serving a session it logged out.
// The word is sent once the database has the change, so a peer that reads
// the database on hearing it finds the change there.
func (s *Store) announce(ctx context.Context, keys ...string) {
	if s.peers == nil || len(keys) == 0 {
		return
	}
	if err := s.peers.Stale(context.WithoutCancel(ctx), keys...); err != nil {
		s.log.Error("could not tell the other processes of session cache entries that may be stale",
			"err", err, "sessions", len(keys))
	}
}

// Invalidate marks the copies of keys stale, at a peer's word: read from the
// database until the mark expires. A cache it cannot reach is suspect here
// too.
func (s *Store) Invalidate(ctx context.Context, keys ...string) {
	if s.isSuspect() {
		return // flushed before it is read here again
	}
	for _, k := range keys {
		if !session.ValidKey(k) {
			continue
		}
		if err := s.cache.Set(ctx, k, staleMark, time.Now().Add(tombstoneTTL)); err != nil {
			s.failed("invalidate", err)
			return
		}
	}
}

// Delete implements session.Store: buried in the cache too, so that every
// process sharing it sees the logout at once.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.db.Delete(ctx, key); err != nil {
		return err
	}
	s.bury(ctx, key)
	return nil
}

// DeleteExpired implements session.Store; the cache expires its entries
// itself.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time, limit int) (int, error) {
	return s.db.DeleteExpired(ctx, now, limit)
}

// ByUser implements session.UserIndex, from the database.
func (s *Store) ByUser(ctx context.Context, userID int64, now time.Time) ([]session.Entry, error) {
	return s.db.ByUser(ctx, userID, now)
}

// DeleteByUser implements session.UserIndex: the deleted sessions are
// buried in the cache too.
func (s *Store) DeleteByUser(ctx context.Context, userID int64, keep string) ([]string, error) {
	keys, err := s.db.DeleteByUser(ctx, userID, keep)
	s.bury(ctx, keys...)
	return keys, err
}

// Check reports whether the cache answers, for readiness: a failing cache
// degrades the service (every read goes to the database) but does not
// stop it.
func (s *Store) Check(ctx context.Context) error {
	if !s.usable(ctx) {
		return errors.New("cache unreachable: serving from the database")
	}
	_, _, err := s.cache.Get(ctx, "readiness-probe")
	if err != nil {
		s.failed("probe", err)
	}
	return err
}

// set, drop and bury write to the cache unless it is suspect: it is then
// flushed before anyone here reads it again, so a write would change
// nothing but the time the request waits for an unreachable Redis (under
// the row's lock, for set). What they do not write, drop and bury announce
// to the peers; set, called under the row's lock, reports it to its
// caller, which announces once the database has committed.

// set caches r under key, and reports whether it did.
func (s *Store) set(ctx context.Context, key string, r session.Record) bool {
	if s.isSuspect() {
		return false
	}
	if err := s.cache.Set(ctx, key, r.Data, r.Expiry); err != nil {
		s.failed("set", err)
		return false
	}
	return true
}

// drop removes keys from the cache: the database has the truth of them.
func (s *Store) drop(ctx context.Context, keys ...string) {
	if s.isSuspect() {
		s.announce(ctx, keys...)
		return
	}
	if err := s.cache.Delete(ctx, keys...); err != nil {
		s.failed("delete", err)
		s.announce(ctx, keys...)
	}
}

// bury marks keys deleted in the cache.
func (s *Store) bury(ctx context.Context, keys ...string) {
	if s.isSuspect() {
		s.announce(ctx, keys...)
		return
	}
	for i, k := range keys {
		if err := s.cache.Set(ctx, k, tombstone, time.Now().Add(tombstoneTTL)); err != nil {
			s.failed("bury", err)
			s.announce(ctx, keys[i:]...)
			return
		}
	}
}

// failed notes a cache failure: until the cache is flushed, it is not read.
func (s *Store) failed(op string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.suspect {
		s.log.Warn("session cache failed; serving sessions from the database until it answers again",
			"op", op, "err", err)
	}
	s.suspect = true
	s.failures++
}

func (s *Store) isSuspect() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.suspect
}

// usable reports whether the cache may be read. After a failure, one
// caller at a time, at most once per retryInterval, tries to flush it,
// since a write this process could not make there may have left a stale
// entry; the others go to the database meanwhile, without waiting. A
// failure during the flush leaves the cache suspect.
func (s *Store) usable(ctx context.Context) bool {
	s.mu.Lock()
	if !s.suspect {
		s.mu.Unlock()
		return true
	}
	if s.flushing || time.Now().Before(s.nextTry) {
		s.mu.Unlock()
		return false
	}
	s.flushing = true
	before := s.failures
	s.mu.Unlock()

	err := s.cache.Flush(ctx)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.flushing = false
	if err != nil || s.failures != before {
		s.nextTry = time.Now().Add(retryInterval)
		return false
	}
	s.suspect = false
	s.log.Info("session cache answers again; flushed it and resumed reading from it")
	return true
}
