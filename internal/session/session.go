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
// As in Django, the new record is created before the old one is deleted: a
// store failure in between leaves the client its session.
func (s *Session) CycleKey(ctx context.Context) error {
	s.accessed, s.modified = true, true
	old := s.key
	if old == "" {
		return nil // nothing stored yet: the first save creates a fresh key
	}
	// The new record takes the old one's Meta first, then any change made
	// during this request on top.
	s.key = ""
	dirty := s.metaDirty
	s.metaDirty = false
	err := s.m.Save(ctx, s)
	s.metaDirty = dirty
	if err != nil {
		s.key = old
		return err
	}
	if err := s.m.copyMeta(ctx, old, s.key); err != nil {
		return err
	}
	if err := s.m.saveMeta(ctx, s); err != nil {
		return err
	}
	return s.m.delete(ctx, old)
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
		return expiry{set: true, seconds: v}
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
// (from a project with USE_TZ=False) is taken as UTC.
func parseISO(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("session: %q is not an ISO-8601 date", s)
}
