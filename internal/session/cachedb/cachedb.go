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
// end a user's sessions (dbstore).
type Database interface {
	session.Store
	session.UserIndex
}

var (
	_ session.Store     = (*Store)(nil)
	_ session.UserIndex = (*Store)(nil)
)

// Store is a session.Store and session.UserIndex on db, with cache in front.
type Store struct {
	db    Database
	cache Cache
	log   *slog.Logger

	mu sync.Mutex
	// suspect is set when a write to the cache failed: an entry there may
	// be stale (a session this process logged out, say), so the cache is
	// bypassed, and flushed before it is trusted again.
	suspect bool
	// failures counts the cache's failures, so that a flush knows whether
	// a write failed while it ran (and may have left a stale entry behind
	// the flush's scan).
	failures uint64
	// probing is set while one caller flushes the cache to trust it again;
	// the others go to the database meanwhile rather than wait.
	probing bool
	// nextProbe is when a cache that failed its last flush may be tried
	// again: until then, no request pays for a round trip to a Redis that
	// is down.
	nextProbe time.Time
}

// probeInterval is how often a suspect cache is tried again.
const probeInterval = time.Second

// New returns a Store on db with cache in front of it.
func New(db Database, cache Cache, log *slog.Logger) *Store {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{db: db, cache: cache, log: log}
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
		case found:
			return data, true, nil
		}
	}
	data, found, err := s.db.Load(ctx, key)
	if err != nil || !found || !cached {
		return data, found, err
	}
	// The expiry is not known here: the entry lives until the next write
	// replaces it, or refillTTL at most.
	if err := s.cache.Add(ctx, key, data, time.Now().Add(refillTTL)); err != nil {
		s.failed("refill", err)
	}
	return data, true, nil
}

// tombstone marks a deleted session in the cache, so that a refill racing
// the deletion cannot put the session back. Signed data is never empty.
const tombstone = ""

const (
	// refillTTL bounds the life of an entry refilled from the database,
	// whose expiry Load does not know.
	refillTTL = 10 * time.Minute
	// tombstoneTTL outlasts any refill in flight when a session is deleted.
	tombstoneTTL = time.Minute
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
	setCache := false
	err := s.db.Update(ctx, key, func(current string) (session.Record, error) {
		r, err := edit(current)
		if err == nil {
			s.set(ctx, key, r)
			setCache = true
		}
		return r, err
	})
	if err != nil && setCache {
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

func (s *Store) set(ctx context.Context, key string, r session.Record) {
	if err := s.cache.Set(ctx, key, r.Data, r.Expiry); err != nil {
		s.failed("set", err)
	}
}

// drop removes keys from the cache: the database has the truth of them.
func (s *Store) drop(ctx context.Context, keys ...string) {
	if err := s.cache.Delete(ctx, keys...); err != nil {
		s.failed("delete", err)
	}
}

// bury marks keys deleted in the cache.
func (s *Store) bury(ctx context.Context, keys ...string) {
	for _, k := range keys {
		if err := s.cache.Set(ctx, k, tombstone, time.Now().Add(tombstoneTTL)); err != nil {
			s.failed("bury", err)
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

// usable reports whether the cache may be read. After a failure, one
// caller at a time, at most once per probeInterval, flushes the cache,
// since a write this process could not make there may have left a stale
// entry; the cache is trusted again once a flush succeeds with no failure
// in the meantime. No lock is held over the flush: while Redis is down,
// requests go to the database without waiting for each other.
func (s *Store) usable(ctx context.Context) bool {
	s.mu.Lock()
	if !s.suspect {
		s.mu.Unlock()
		return true
	}
	if s.probing || time.Now().Before(s.nextProbe) {
		s.mu.Unlock()
		return false
	}
	s.probing = true
	failures := s.failures
	s.mu.Unlock()

	err := s.cache.Flush(ctx)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.probing = false
	switch {
	case err != nil:
		s.nextProbe = time.Now().Add(probeInterval)
		return false
	case s.failures != failures:
		return false // a write failed during the flush: flush again
	}
	s.suspect = false
	s.log.Info("session cache answers again; flushed it and resumed reading from it")
	return true
}
