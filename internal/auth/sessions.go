package auth

import (
	"context"
	"time"

	"github.com/djsessions/api/internal/apperr"
	"github.com/djsessions/api/internal/session"
)

// sessionIndex is what "my sessions" needs of the session engine (a
// *session.Manager): the sessions of a user, and ending them. An engine
// that keeps sessions only in the client cannot, and says so with
// session.ErrNoIndex.
type sessionIndex interface {
	UserSessions(ctx context.Context, userID int64) ([]session.Entry, error)
	EndUserSessions(ctx context.Context, userID int64, keep string) error
	End(ctx context.Context, key string) error
}

// ActiveSession is one of a user's sessions as they see it. ID is not the
// session key, which is a credential, but a fingerprint of it.
type ActiveSession struct {
	ID           string    `json:"id"`
	CreatedAt    time.Time `json:"created_at"`
	LastActivity time.Time `json:"last_activity"`
	UserAgent    string    `json:"user_agent"`
	IP           string    `json:"ip"`
	Current      bool      `json:"current"`
}

// Sessions lists the unexpired sessions of u, the one on s marked current,
// most recently used first.
func (svc *Service) Sessions(ctx context.Context, s *session.Session, u User) ([]ActiveSession, error) {
	entries, err := svc.entries(ctx, u)
	if err != nil {
		return nil, err
	}
	out := make([]ActiveSession, 0, len(entries))
	for _, e := range entries {
		created := e.Meta.CreatedAt
		if created.IsZero() { // begun by Django, or before this API kept it
			created = e.Meta.LastActive
		}
		out = append(out, ActiveSession{
			ID: session.Fingerprint(e.Key), CreatedAt: created.Truncate(time.Second),
			LastActivity: e.Meta.LastActive.Truncate(time.Second),
			UserAgent:    e.Meta.UserAgent, IP: e.Meta.IP, Current: e.Key == s.Key(),
		})
	}
	return out, nil
}

// Revoke ends the session of u whose ID is id: deleted from the store, so
// its key is dead at once. Revoking the current session logs it out.
func (svc *Service) Revoke(ctx context.Context, s *session.Session, u User, id string) error {
	entries, err := svc.entries(ctx, u)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if session.Fingerprint(e.Key) != id {
			continue
		}
		if e.Key == s.Key() {
			return s.Flush(ctx)
		}
		return svc.cfg.Sessions.End(ctx, e.Key)
	}
	return apperr.New(apperr.NotFound, "you have no session with that id")
}

// LogoutAll ends every session of u, the current one included.
func (svc *Service) LogoutAll(ctx context.Context, s *session.Session, u User) error {
	if err := svc.endOthers(ctx, s, u); err != nil {
		return err
	}
	return s.Flush(ctx)
}

// endOthers deletes every session of u but the one on s, in one statement
// where the store allows, so that none escapes between a listing and the
// deletes.
func (svc *Service) endOthers(ctx context.Context, s *session.Session, u User) error {
	if svc.cfg.Sessions == nil {
		return session.ErrNoIndex
	}
	return svc.cfg.Sessions.EndUserSessions(ctx, u.ID, s.Key())
}

func (svc *Service) entries(ctx context.Context, u User) ([]session.Entry, error) {
	if svc.cfg.Sessions == nil {
		return nil, session.ErrNoIndex
	}
	return svc.cfg.Sessions.UserSessions(ctx, u.ID)
}
