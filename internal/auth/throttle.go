package auth

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/djsessions/api/internal/apperr"
)

var _ Limiter = (*Throttle)(nil)

// Throttle counts failed logins per username and per client address, in the
// database, so that every API process sharing it counts the same attempts
// and a restart forgets nothing. Past a limit, logins get 429 until the
// oldest failure in the window has aged out, even with the right password.
type Throttle struct {
	db             *sqlx.DB
	maxPerUser     int
	maxPerAddr     int
	window         time.Duration
	recent, insert string
	prune, clear   string
	pruneAll       string
}

// ThrottleLimits are LOGIN_MAX_FAILURES, LOGIN_MAX_FAILURES_PER_ADDR and
// LOGIN_FAILURE_WINDOW.
type ThrottleLimits struct {
	PerUser, PerAddr int
	Window           time.Duration
}

// Scopes of a count.
const (
	scopeUser = "user"
	scopeAddr = "addr"
)

// maxSubject fits auth_login_failure.subject; a longer username cannot exist.
const maxSubject = 255

// NewThrottle returns a Throttle on db, which must have been migrated.
func NewThrottle(db *sqlx.DB, l ThrottleLimits) *Throttle {
	return &Throttle{
		db: db, maxPerUser: l.PerUser, maxPerAddr: l.PerAddr, window: l.Window,
		// The times themselves, not min(failed_at): SQLite gives an
		// aggregate of a datetime column back as text, which no time.Time
		// scans.
		recent: db.Rebind(`SELECT failed_at FROM auth_login_failure
			WHERE scope = ? AND subject = ? AND failed_at > ? ORDER BY failed_at`),
		insert:   db.Rebind(`INSERT INTO auth_login_failure (scope, subject, failed_at) VALUES (?, ?, ?)`),
		prune:    db.Rebind(`DELETE FROM auth_login_failure WHERE scope = ? AND subject = ? AND failed_at <= ?`),
		clear:    db.Rebind(`DELETE FROM auth_login_failure WHERE scope = ? AND subject = ?`),
		pruneAll: db.Rebind(`DELETE FROM auth_login_failure WHERE failed_at <= ?`),
	}
}

// Check returns a too_many_attempts error, with the time to wait, when the
// username or the address has used up its failures in the window.
func (t *Throttle) Check(ctx context.Context, username, addr string, now time.Time) error {
	var wait time.Duration
	for _, c := range []struct {
		scope, subject string
		max            int
	}{{scopeUser, username, t.maxPerUser}, {scopeAddr, addr, t.maxPerAddr}} {
		var failed []time.Time
		err := t.db.SelectContext(ctx, &failed, t.recent, c.scope, subject(c.subject), dbTime(now.Add(-t.window)))
		if err != nil {
			return fmt.Errorf("%w: auth: counting failed logins: %w", apperr.ErrUnavailable, err)
		}
		// Logins may resume once all but max-1 failures have left the
		// window: when the oldest has, unless processes racing each other
		// counted more than max.
		if n := len(failed); n >= c.max {
			wait = max(wait, failed[n-c.max].Add(t.window).Sub(now))
		}
	}
	if wait <= 0 {
		return nil
	}
	return &apperr.Error{Code: apperr.TooManyAttempts, RetryAfter: wait,
		Message: "too many failed logins; try again later"}
}

// Fail counts one failed login against the username and the address, and
// drops their failures that have left the window.
func (t *Throttle) Fail(ctx context.Context, username, addr string, now time.Time) error {
	for _, c := range [][2]string{{scopeUser, username}, {scopeAddr, addr}} {
		if _, err := t.db.ExecContext(ctx, t.prune, c[0], subject(c[1]), dbTime(now.Add(-t.window))); err != nil {
			return fmt.Errorf("%w: auth: pruning failed logins: %w", apperr.ErrUnavailable, err)
		}
		if _, err := t.db.ExecContext(ctx, t.insert, c[0], subject(c[1]), dbTime(now)); err != nil {
			return fmt.Errorf("%w: auth: counting a failed login: %w", apperr.ErrUnavailable, err)
		}
	}
	return nil
}

// Succeed forgets the username's failures: its owner got in. The address
// keeps its count, or a guesser could reset it with an account of its own.
func (t *Throttle) Succeed(ctx context.Context, username string) error {
	if _, err := t.db.ExecContext(ctx, t.clear, scopeUser, subject(username)); err != nil {
		return fmt.Errorf("%w: auth: clearing failed logins: %w", apperr.ErrUnavailable, err)
	}
	return nil
}

// Prune deletes the failures that have left the window everywhere: those of
// usernames and addresses that never failed again. clearsessions runs it.
func (t *Throttle) Prune(ctx context.Context, now time.Time) (int, error) {
	res, err := t.db.ExecContext(ctx, t.pruneAll, dbTime(now.Add(-t.window)))
	if err != nil {
		return 0, fmt.Errorf("%w: auth: pruning failed logins: %w", apperr.ErrUnavailable, err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// subject is s as it can be stored: without NUL, which PostgreSQL's text
// refuses, and cut to the column at a character boundary (a longer
// username does not exist anyway, so its prefix counts for it).
func subject(s string) string {
	s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	if len(s) <= maxSubject {
		return s
	}
	i := maxSubject
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}
