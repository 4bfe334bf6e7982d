package session

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Meta is what a store may keep beside a session so that a user can see and
// end their sessions: whose it is, when it began and was last used, from
// where. It is never part of the signed data that Django reads. A zero field
// means "unknown" when read, and "leave as it is" when saved.
type Meta struct {
	UserID     int64
	CreatedAt  time.Time
	LastActive time.Time
	IP         string
	UserAgent  string
}

// Entry is one session of a user, as a UserIndex lists it.
type Entry struct {
	Key    string
	Expiry time.Time
	Meta   Meta
}

// UserIndex is implemented by stores that keep Meta (written with each
// Record) and can find a user's sessions by it. An engine that keeps
// sessions only in the client (signed cookies) cannot.
type UserIndex interface {
	// ByUser lists the sessions of userID that have not expired by now.
	ByUser(ctx context.Context, userID int64, now time.Time) ([]Entry, error)
	// DeleteByUser deletes every session of userID but the one under keep
	// ("" keeps none), including one that a concurrent Rotate moved to a
	// new key while it ran, and returns the keys it deleted (a cache in
	// front of the store must forget them too).
	DeleteByUser(ctx context.Context, userID int64, keep string) ([]string, error)
}

// ErrNoIndex is returned for the features that need a UserIndex on an
// engine whose store has none.
var ErrNoIndex = errors.New("session: this session engine cannot list or end a user's sessions")

// SetMeta merges the non-zero fields of meta into what is kept beside the
// session; they are saved with its data, by stores that keep them.
func (s *Session) SetMeta(meta Meta) {
	if meta.UserID != 0 {
		s.meta.UserID = meta.UserID
	}
	if !meta.CreatedAt.IsZero() {
		s.meta.CreatedAt = meta.CreatedAt
	}
	if !meta.LastActive.IsZero() {
		s.meta.LastActive = meta.LastActive
	}
	if meta.IP != "" {
		s.meta.IP = meta.IP
	}
	if meta.UserAgent != "" {
		s.meta.UserAgent = meta.UserAgent
	}
	s.metaDirty = true
}

// Indexed reports whether the engine can list and end a user's sessions.
func (m *Manager) Indexed() bool {
	_, ok := m.store.(UserIndex)
	return ok
}

// UserSessions lists the unexpired sessions of userID.
func (m *Manager) UserSessions(ctx context.Context, userID int64) ([]Entry, error) {
	idx, ok := m.store.(UserIndex)
	if !ok {
		return nil, ErrNoIndex
	}
	ctx, cancel := context.WithTimeout(ctx, m.opts.StoreTimeout)
	defer cancel()
	entries, err := idx.ByUser(ctx, userID, m.now())
	if err != nil {
		return nil, fmt.Errorf("%w: list by user: %w", ErrUnavailable, err)
	}
	return entries, nil
}

// EndUserSessions deletes every session of userID but the one under keep
// ("" ends them all): a logout everywhere else.
func (m *Manager) EndUserSessions(ctx context.Context, userID int64, keep string) error {
	idx, ok := m.store.(UserIndex)
	if !ok {
		return ErrNoIndex
	}
	ctx, cancel := context.WithTimeout(ctx, m.opts.StoreTimeout)
	defer cancel()
	if _, err := idx.DeleteByUser(ctx, userID, keep); err != nil {
		return fmt.Errorf("%w: delete by user: %w", ErrUnavailable, err)
	}
	return nil
}

// End deletes the session under key, another client's, at once: a revoke.
func (m *Manager) End(ctx context.Context, key string) error {
	if m.inCookie {
		return ErrNoIndex
	}
	return m.delete(ctx, key)
}
