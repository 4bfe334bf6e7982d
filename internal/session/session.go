// Package session brings Django's server-side sessions to Go: the Session with
// SessionBase's semantics, Django's signed encoding of session data, the Store
// contract that each engine implements, and the Echo middleware that loads a
// session lazily and commits it before the response is sent.
//
// Security advice, as in Django: rotate the key (CycleKey) whenever the
// privilege level changes, at login in particular, and Flush at logout.
package session

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"
)

// expiryKey is where Django keeps a custom expiry inside the session data.
const expiryKey = "_session_expiry"

// Session is one client's session data, with Django's SessionBase semantics.
// It is not safe for concurrent use; each request gets its own.
type Session struct {
	m        *Manager
	key      string // "" until the session is first saved, and after Flush
	data     map[string]json.RawMessage
	modified bool
	accessed bool
	saved    bool // stored during this request: the client must learn its key

	// What this request changed since the data was loaded or last stored,
	// replayed on the stored data at the next save so that two requests
	// of one session do not overwrite each other's changes.
	changed map[string]struct{} // keys set or deleted
	cleared bool                // Clear: nothing stored before counts

	meta      Meta // what SetMeta asked to keep beside the session
	metaDirty bool
}

// Key returns the session key, or "" for a session that has not been saved.
// The key is a bearer credential: never log it or show it to cookie clients.
func (s *Session) Key() string { return s.key }

// Modified reports whether the data changed since it was loaded or last
// saved, which is what makes the middleware save it.
func (s *Session) Modified() bool { return s.modified }

// Accessed reports whether the data was read or written during this request.
func (s *Session) Accessed() bool { return s.accessed }

// IsEmpty reports whether the session has neither a key nor data, Django's
// is_empty: such a session is never saved, and its cookie is deleted.
func (s *Session) IsEmpty() bool { return s.key == "" && len(s.data) == 0 }

// Get decodes the value stored under key into dst. found is false when there
// is no such key; err is set when the stored value does not fit dst.
func (s *Session) Get(key string, dst any) (found bool, err error) {
	s.accessed = true
	raw, ok := s.data[key]
	if !ok {
		return false, nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return true, fmt.Errorf("session: value of %q: %w", key, err)
	}
	return true, nil
}

// Set stores v, which must encode to JSON, under key.
func (s *Session) Set(key string, v any) error {
	raw, err := marshal(v)
	if err != nil {
		return fmt.Errorf("session: value of %q: %w", key, err)
	}
	s.accessed, s.modified = true, true
	s.data[key] = raw
	s.touched(key)
	return nil
}

// Has reports whether key is in the session.
func (s *Session) Has(key string) bool {
	s.accessed = true
	_, ok := s.data[key]
	return ok
}

// Delete removes key; the session counts as modified only if key was there.
func (s *Session) Delete(key string) {
	s.accessed = true
	if _, ok := s.data[key]; ok {
		delete(s.data, key)
		s.modified = true
		s.touched(key)
	}
}

// Pop decodes the value under key into dst, like Get, and removes it.
func (s *Session) Pop(key string, dst any) (found bool, err error) {
	found, err = s.Get(key, dst)
	s.Delete(key)
	return found, err
}

// Keys returns the keys of the session in sorted order, internal ones
// (Django's, which start with "_") included.
func (s *Session) Keys() []string {
	s.accessed = true
	keys := make([]string, 0, len(s.data))
	for k := range s.data {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Clear empties the data and keeps the key, as Django's clear().
func (s *Session) Clear() {
	s.accessed, s.modified = true, true
	s.data = map[string]json.RawMessage{}
	s.changed, s.cleared = nil, true
}

// Flush empties the session and deletes it from the store at once; the next
// write gets a new key. Use it at logout.
func (s *Session) Flush(ctx context.Context) error {
	s.Clear()
	if s.key == "" {
		return nil
	}
	if err := s.m.delete(ctx, s.key); err != nil {
		return err
	}
	s.key = ""
	return nil
}

// CycleKey keeps the data under a new key and deletes the old one from the
// store at once, so that a key known before a login is worthless after it.
// The move is one change in the store: a concurrent logout that deleted the
// old key makes it fail with ErrInterrupted rather than bring it back.
func (s *Session) CycleKey(ctx context.Context) error {
	s.accessed = true
	if s.key == "" {
		s.modified = true // nothing stored yet: the first save creates a fresh key
		return nil
	}
	return s.m.rotate(ctx, s)
}

// Update runs fn on the session as it is stored now, rather than as this
// request loaded it, and saves the result before it returns, with no other
// save of this session in between, in this process or another. Use it for a
// read-modify-write of a value (a cart line, a counter) that concurrent
// requests of one client may change at the same time: none of their
// changes is lost. fn must not do I/O, as the session stays locked while it
// runs; if it fails, nothing is saved and its error is returned as it is.
// The error is ErrInterrupted if the session was deleted meanwhile.
func (s *Session) Update(ctx context.Context, fn func(*Session) error) error {
	s.accessed = true
	if s.key != "" {
		return s.m.update(ctx, s, fn)
	}
	// Not stored yet, so no other request can know it: nothing to lock,
	// and nothing to store if fn changed nothing.
	snap := s.snapshot()
	if err := fn(s); err != nil {
		s.restore(snap)
		return err
	}
	if !s.modified {
		return nil
	}
	return s.m.create(ctx, s)
}

// touched records that this request changed key.
func (s *Session) touched(key string) {
	if s.changed == nil {
		s.changed = map[string]struct{}{}
	}
	s.changed[key] = struct{}{}
}

// rebase makes the data what this request's changes make of current, the
// data stored now.
func (s *Session) rebase(current map[string]json.RawMessage) {
	if s.cleared {
		current = map[string]json.RawMessage{}
	}
	for k := range s.changed {
		if v, ok := s.data[k]; ok {
			current[k] = v
		} else {
			delete(current, k)
		}
	}
	s.data = current
}

// stored marks the session as just saved: nothing is pending.
func (s *Session) stored() {
	s.changed, s.cleared = nil, false
	s.modified, s.metaDirty, s.saved = false, false, true
}

// snapshot is what a failed Update or save restores.
type snapshot struct {
	data     map[string]json.RawMessage
	changed  map[string]struct{}
	cleared  bool
	modified bool
}

func (s *Session) snapshot() snapshot {
	return snapshot{maps.Clone(s.data), maps.Clone(s.changed), s.cleared, s.modified}
}

func (s *Session) restore(snap snapshot) {
	s.data, s.changed = maps.Clone(snap.data), maps.Clone(snap.changed)
	s.cleared, s.modified = snap.cleared, snap.modified
}

// SetExpiry makes the session expire after age without a save, as Django's
// set_expiry(seconds); an age of zero means when the browser closes (the
// record itself then lives for the default age). Age is kept in seconds.
func (s *Session) SetExpiry(age time.Duration) {
	s.Set(expiryKey, int64(age/time.Second)) // an int64 always encodes
}

// SetExpiryDate makes the session expire at t, as Django's set_expiry(datetime).
func (s *Session) SetExpiryDate(t time.Time) {
	s.Set(expiryKey, isoformat(t)) // a string always encodes
}

// ResetExpiry returns to the default expiry, as Django's set_expiry(None).
func (s *Session) ResetExpiry() { s.Delete(expiryKey) }

// ExpiryAge returns the number of seconds until the session expires,
// computed as of now, as Django's get_expiry_age.
func (s *Session) ExpiryAge() int {
	e := s.expiry()
	switch {
	case e.isDate:
		return int(math.Floor(e.date.Sub(s.m.now()).Seconds()))
	case e.seconds != 0:
		return int(e.seconds)
	default:
		return int(s.m.opts.Age / time.Second)
	}
}

// ExpiryDate returns when the session expires if saved now, as Django's
// get_expiry_date.
func (s *Session) ExpiryDate() time.Time {
	e := s.expiry()
	if e.isDate {
		return e.date
	}
	return s.m.now().Add(time.Duration(s.ExpiryAge()) * time.Second)
}

// ExpireAtBrowserClose reports whether the cookie should be a browser-session
// cookie, as Django's get_expire_at_browser_close.
func (s *Session) ExpireAtBrowserClose() bool {
	e := s.expiry()
	if !e.set {
		return s.m.opts.ExpireAtBrowserClose
	}
	return !e.isDate && e.seconds == 0
}

// maxCustomAge bounds, in seconds, the age _session_expiry may give: a
// hundred years, far inside what time.Duration holds (292 years).
const maxCustomAge = 100 * 365 * 24 * 3600

type expiry struct {
	set     bool
	seconds float64
	isDate  bool
	date    time.Time
}

// expiry reads _session_expiry, which Django stores as a number of seconds or
// (since Django 4.1) an ISO-8601 string. A value of another shape counts as
// no custom expiry.
func (s *Session) expiry() expiry {
	raw, ok := s.data[expiryKey]
	if !ok {
		return expiry{}
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return expiry{}
	}
	switch v := v.(type) {
	case float64:
		// Beyond a century either way an age means "never" or "already",
		// and held to that it never overflows the time arithmetic.
		return expiry{set: true, seconds: max(-maxCustomAge, min(v, maxCustomAge))}
	case string:
		if t, err := parseISO(v); err == nil {
			return expiry{set: true, isDate: true, date: t}
		}
	}
	return expiry{}
}

// isoformat writes t as Python's datetime.isoformat does for an aware UTC
// time, which every Python version's fromisoformat reads back.
func isoformat(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 == 0 {
		return t.Format("2006-01-02T15:04:05+00:00")
	}
	return t.Format("2006-01-02T15:04:05.000000+00:00")
}

// parseISO reads the dates Python's isoformat writes; a date without a zone
// (from a project with USE_TZ=False) is taken as UTC. Python's dates run
// from year 1 to 9999, in UTC too: one that its zone takes past them
// ("9999-12-31T23:59:59-01:00") could not be written back, or shown as
// JSON, and is refused.
func parseISO(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			if t = t.UTC(); t.Year() < 1 || t.Year() > 9999 {
				return time.Time{}, fmt.Errorf("session: %q is out of the range of dates", s)
			}
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("session: %q is not an ISO-8601 date", s)
}
