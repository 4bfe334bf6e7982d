// Package sessionapi is the generic session API: what a client may see of
// its session, the visit counter that demonstrates the session's lifecycle,
// and the client's control of expiry, key rotation and flushing.
package sessionapi

import (
	"context"
	"strings"
	"time"

	"github.com/djsessions/api/internal/apperr"
	"github.com/djsessions/api/internal/session"
)

// Session keys owned by this package.
const (
	keyVisitCount     = "visit_count"
	keySessionCreated = "session_created"
)

// maxExpiry bounds a client-chosen expiry: ten years is already absurd, and
// a bound keeps dates within what every store and cookie can represent.
const maxExpiry = 10 * 365 * 24 * time.Hour

// Info is the contract's SessionInfo.
type Info struct {
	ExpiryAge            int       `json:"expiry_age"`
	ExpiryDate           time.Time `json:"expiry_date"`
	ExpireAtBrowserClose bool      `json:"expire_at_browser_close"`
}

// InfoOf describes the expiry of s as of now.
func InfoOf(s *session.Session) Info {
	return Info{
		ExpiryAge:            s.ExpiryAge(),
		ExpiryDate:           s.ExpiryDate().UTC().Truncate(time.Second),
		ExpireAtBrowserClose: s.ExpireAtBrowserClose(),
	}
}

// VisibleKeys lists the keys of s that a client may see: not the internal
// ones, which Django and this API prefix with "_".
func VisibleKeys(s *session.Session) []string {
	keys := []string{}
	for _, k := range s.Keys() {
		if !strings.HasPrefix(k, "_") {
			keys = append(keys, k)
		}
	}
	return keys
}

// Visit is the state of the visit counter.
type Visit struct {
	Count   int       `json:"visit_count"`
	Created time.Time `json:"session_created"`
}

// Service holds the rules of the generic session endpoints.
type Service struct {
	now func() time.Time
}

// NewService returns a Service that reads the time from now.
func NewService(now func() time.Time) *Service { return &Service{now: now} }

// RecordVisit counts one more visit, noting when the first one happened.
func (svc *Service) RecordVisit(s *session.Session) (Visit, error) {
	var v Visit
	// A value of the wrong shape (written by another app, say) restarts the
	// count rather than failing the request.
	if _, err := s.Get(keyVisitCount, &v.Count); err != nil {
		v.Count = 0
	}
	if found, err := s.Get(keySessionCreated, &v.Created); !found || err != nil {
		v.Created = svc.now().UTC().Truncate(time.Second)
	}
	v.Count++
	if err := s.Set(keyVisitCount, v.Count); err != nil {
		return Visit{}, err
	}
	if err := s.Set(keySessionCreated, v.Created); err != nil {
		return Visit{}, err
	}
	return v, nil
}

// ExpiryChange is a requested expiry: exactly one of its fields is set.
type ExpiryChange struct {
	Seconds *int64  // 0 means at browser close
	At      *string // RFC 3339
	Default *bool   // must be true
}

// SetExpiry applies c to s.
func (svc *Service) SetExpiry(s *session.Session, c ExpiryChange) error {
	set := 0
	for _, given := range []bool{c.Seconds != nil, c.At != nil, c.Default != nil} {
		if given {
			set++
		}
	}
	if set != 1 {
		return apperr.New(apperr.ValidationFailed, `give exactly one of "seconds", "at" or "default"`)
	}
	switch {
	case c.Seconds != nil:
		n := *c.Seconds
		if n < 0 || time.Duration(n) > maxExpiry/time.Second {
			return apperr.Invalid(map[string]string{"seconds": "must be from 0 (at browser close) to 315360000"})
		}
		s.SetExpiry(time.Duration(n) * time.Second)
	case c.At != nil:
		at, err := time.Parse(time.RFC3339, *c.At)
		if err != nil {
			return apperr.Invalid(map[string]string{"at": "must be an RFC 3339 date-time, such as 2030-01-02T15:04:05Z"})
		}
		if now := svc.now(); !at.After(now) || at.Sub(now) > maxExpiry {
			return apperr.Invalid(map[string]string{"at": "must be in the future, and at most ten years away"})
		}
		s.SetExpiryDate(at)
	default:
		if !*c.Default {
			return apperr.Invalid(map[string]string{"default": "must be true"})
		}
		s.ResetExpiry()
	}
	return nil
}

// Cycle gives s a new key and keeps its data.
func (svc *Service) Cycle(ctx context.Context, s *session.Session) error { return s.CycleKey(ctx) }

// Flush ends s: its data is gone and its key dead.
func (svc *Service) Flush(ctx context.Context, s *session.Session) error { return s.Flush(ctx) }
