package session

import (
	"context"
	"fmt"
	"time"
)

// Meta is what a store may keep beside a session so that a user can see and
// end their sessions: whose it is, when it began and was last used, from
// where. It is never part of the signed data that Django reads. A zero field
// means "unknown" when set, and "leave as it is" when saved.
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

// UserIndex is implemented by stores that keep Meta and can find a user's
// sessions. Features that need it ask for it with a type assertion: an
// engine that keeps sessions only in the client (signed cookies) cannot.
type UserIndex interface {
	// SaveMeta records the non-zero fields of meta for the session under
	// key; a key with no session is not an error.
	SaveMeta(ctx context.Context, key string, meta Meta) error
	// CopyMeta gives the session under to the Meta of the one under from;
	// CycleKey uses it, so that a rotated session stays its user's.
	CopyMeta(ctx context.Context, from, to string) error
	// ByUser lists the sessions of userID that have not expired by now.
	ByUser(ctx context.Context, userID int64, now time.Time) ([]Entry, error)
}

// SetMeta merges the non-zero fields of meta into what is kept beside the
// session; they are saved with it, by stores that keep them.
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

// Index returns the store's UserIndex, or false if the engine has none.
func (m *Manager) Index() (UserIndex, bool) {
	idx, ok := m.store.(UserIndex)
	return idx, ok
}

// saveMeta writes the session's pending Meta, if its store keeps any.
func (m *Manager) saveMeta(ctx context.Context, s *Session) error {
	idx, ok := m.Index()
	if !ok || !s.metaDirty {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, m.opts.StoreTimeout)
	defer cancel()
	if err := idx.SaveMeta(ctx, s.key, s.meta); err != nil {
		return fmt.Errorf("%w: save meta: %w", ErrUnavailable, err)
	}
	s.metaDirty = false
	return nil
}

// copyMeta moves what is kept beside a session to its new key.
func (m *Manager) copyMeta(ctx context.Context, from, to string) error {
	idx, ok := m.Index()
	if !ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, m.opts.StoreTimeout)
	defer cancel()
	if err := idx.CopyMeta(ctx, from, to); err != nil {
		return fmt.Errorf("%w: copy meta: %w", ErrUnavailable, err)
	}
	return nil
}
