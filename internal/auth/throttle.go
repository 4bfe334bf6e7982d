package auth

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/djsessions/api/internal/apperr"
	"github.com/djsessions/api/internal/database"
)

var _ Limiter = (*Throttle)(nil)

// Throttle counts attempts at a password per username and per client
// address, in the database, so that every API process sharing it counts the
// same attempts and a restart forgets nothing. An attempt is counted before
// its password is checked and stays counted if it fails; past a limit,
// attempts get 429 until the oldest in the window has aged out, even with
// the right password.
type Throttle struct {
	db         *sqlx.DB
	maxPerUser int
	maxPerAddr int
	window     time.Duration
	postgres   bool
	q          struct{ lock, prune, insert, recent, clear, forget, pruneAll string }
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
	t := &Throttle{db: db, maxPerUser: l.PerUser, maxPerAddr: l.PerAddr, window: l.Window,
		postgres: db.DriverName() == database.Postgres}
	t.q.lock = db.Rebind(`SELECT pg_advisory_xact_lock(?, ?)`)
	t.q.prune = db.Rebind(`DELETE FROM auth_login_failure WHERE scope = ? AND subject = ? AND failed_at <= ?`)
	t.q.insert = db.Rebind(`INSERT INTO auth_login_failure (scope, subject, failed_at) VALUES (?, ?, ?) RETURNING id`)
	// The times themselves, not min(failed_at): SQLite gives an aggregate
	// of a datetime column back as text, which no time.Time scans.
	t.q.recent = db.Rebind(`SELECT failed_at FROM auth_login_failure
		WHERE scope = ? AND subject = ? AND failed_at > ? AND id <> ? ORDER BY failed_at`)
	t.q.clear = db.Rebind(`DELETE FROM auth_login_failure WHERE scope = ? AND subject = ?`)
	t.q.forget = db.Rebind(`DELETE FROM auth_login_failure WHERE id = ?`)
	t.q.pruneAll = db.Rebind(`DELETE FROM auth_login_failure WHERE failed_at <= ?`)
	return t
}

// count is one of the two counts an attempt is made against.
type count struct {
	scope, subject string
	max            int
	lockClass      int32 // of the PostgreSQL advisory lock that orders its attempts
}

// Advisory lock classes, one per scope, so that no username's lock is ever
// an address's: each attempt takes its username's lock, then its address's,
// and no two attempts can wait for each other.
const (
	lockClassUser int32 = 0x6c6f6775 // "logu"
	lockClassAddr int32 = 0x6c6f6761 // "loga"
)

// Reserve counts an attempt for username from addr before its password is
// checked, or refuses it with a too_many_attempts error, counting nothing,
// when either already has as many attempts in the window, failed or still
// being checked, as it may. Attempts at once are counted one after another
// (SQLite writes one transaction at a time; on PostgreSQL an advisory lock
// per username and per address orders them), so that no number of them can
// all pass before the first failure is counted.
func (t *Throttle) Reserve(ctx context.Context, username, addr string, now time.Time) (Attempt, error) {
	var opts *sql.TxOptions
	if t.postgres {
		// Each statement must see what was committed while this one waited
		// for its lock, whatever default isolation the database was given.
		opts = &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	}
	tx, err := t.db.BeginTxx(ctx, opts)
	if err != nil {
		return Attempt{}, fmt.Errorf("%w: auth: counting a login attempt: %w", apperr.ErrUnavailable, err)
	}
	defer tx.Rollback() // a refused attempt leaves no row
	counts := []count{
		{scopeUser, subject(username), t.maxPerUser, lockClassUser},
		{scopeAddr, subject(addr), t.maxPerAddr, lockClassAddr},
	}
	a := Attempt{username: username}
	var wait time.Duration
	for i, c := range counts {
		id, w, err := t.reserve(ctx, tx, c, now)
		if err != nil {
			return Attempt{}, fmt.Errorf("%w: auth: counting a login attempt: %w", apperr.ErrUnavailable, err)
		}
		a.rows[i], wait = id, max(wait, w)
	}
	if wait > 0 {
		return Attempt{}, &apperr.Error{Code: apperr.TooManyAttempts, RetryAfter: wait,
			Message: "too many failed logins; try again later"}
	}
	if err := tx.Commit(); err != nil {
		return Attempt{}, fmt.Errorf("%w: auth: counting a login attempt: %w", apperr.ErrUnavailable, err)
	}
	return a, nil
}

// reserve adds the attempt's row to c in tx, and returns it with how long
// the attempt must wait (0: it may go on). The row comes first: on SQLite
// the first write takes the database's write lock, which a read before it
// could not always take later.
func (t *Throttle) reserve(ctx context.Context, tx *sqlx.Tx, c count, now time.Time) (id int64, wait time.Duration, err error) {
	if t.postgres {
		if _, err := tx.ExecContext(ctx, t.q.lock, c.lockClass, int32(fnv32(c.subject))); err != nil {
			return 0, 0, err
		}
	}
	since := dbTime(now.Add(-t.window))
	if _, err := tx.ExecContext(ctx, t.q.prune, c.scope, c.subject, since); err != nil {
		return 0, 0, err
	}
	if err := tx.GetContext(ctx, &id, t.q.insert, c.scope, c.subject, dbTime(now)); err != nil {
		return 0, 0, err
	}
	var before []time.Time
	if err := tx.SelectContext(ctx, &before, t.q.recent, c.scope, c.subject, since, id); err != nil {
		return 0, 0, err
	}
	// Attempts may resume once all but max-1 of those before have left the
	// window: when the oldest has, unless a limit was lowered meanwhile.
	if n := len(before); n >= c.max {
		wait = before[n-c.max].Add(t.window).Sub(now)
	}
	return id, wait, nil
}

// Succeed ends an attempt that had the right password: the username's
// failures are forgotten, since its owner got in, and the attempt no longer
// counts against the address. The address keeps its failures, or a guesser
// could reset them with an account of its own.
func (t *Throttle) Succeed(ctx context.Context, a Attempt) error {
	if _, err := t.db.ExecContext(ctx, t.q.clear, scopeUser, subject(a.username)); err != nil {
		return fmt.Errorf("%w: auth: clearing failed logins: %w", apperr.ErrUnavailable, err)
	}
	if _, err := t.db.ExecContext(ctx, t.q.forget, a.rows[1]); err != nil {
		return fmt.Errorf("%w: auth: clearing a login attempt: %w", apperr.ErrUnavailable, err)
	}
	return nil
}

// Release un-counts an attempt that was never decided.
func (t *Throttle) Release(ctx context.Context, a Attempt) error {
	for _, id := range a.rows {
		if _, err := t.db.ExecContext(ctx, t.q.forget, id); err != nil {
			return fmt.Errorf("%w: auth: clearing a login attempt: %w", apperr.ErrUnavailable, err)
		}
	}
	return nil
}

// Prune deletes the failures that have left the window everywhere: those of
// usernames and addresses that never failed again. clearsessions runs it.
func (t *Throttle) Prune(ctx context.Context, now time.Time) (int, error) {
	res, err := t.db.ExecContext(ctx, t.q.pruneAll, dbTime(now.Add(-t.window)))
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

// fnv32 is the FNV-1a hash of s, an advisory lock's key for it: two subjects
// that share one merely wait for each other.
func fnv32(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}
