// Package dbstore keeps sessions in Django's django_session table, on
// PostgreSQL or SQLite, as Django's db session backend does.
package dbstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/djsessions/api/internal/session"
)

var _ session.Store = (*Store)(nil)

// Store is a session.Store on a django_session table.
type Store struct {
	db *sqlx.DB
	q  queries
}

type queries struct {
	load, lock, create, update, rotate, delete, deleteExpired string
	byUser, deleteByUser                                      string
}

// New returns a Store on db, which must have been migrated. On SQLite, db's
// transactions must begin IMMEDIATE (database.Open does so), which is what
// makes Update exclusive there; PostgreSQL locks the row.
func New(db *sqlx.DB) *Store {
	lock := `SELECT session_data FROM django_session WHERE session_key = ?`
	if db.DriverName() == "postgres" {
		lock += ` FOR UPDATE`
	}
	return &Store{db: db, q: queries{
		load: db.Rebind(`SELECT session_data, expire_date FROM django_session
			WHERE session_key = ? AND expire_date > ?`),
		lock: db.Rebind(lock),
		// ON CONFLICT DO NOTHING tells a taken key by the rows affected,
		// without a driver-specific error code and without aborting a
		// surrounding transaction.
		create: db.Rebind(`INSERT INTO django_session (session_key, session_data, expire_date,
			user_id, created_at, last_activity, ip, user_agent)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`),
		// COALESCE: a Meta field not given keeps its value.
		update: db.Rebind(`UPDATE django_session SET session_data = ?, expire_date = ?,
			user_id = COALESCE(?, user_id), created_at = COALESCE(?, created_at),
			last_activity = COALESCE(?, last_activity), ip = COALESCE(?, ip),
			user_agent = COALESCE(?, user_agent)
			WHERE session_key = ?`),
		rotate: db.Rebind(`INSERT INTO django_session (session_key, session_data, expire_date,
			user_id, created_at, last_activity, ip, user_agent)
			SELECT ?, ?, ?, COALESCE(?, user_id), COALESCE(?, created_at),
				COALESCE(?, last_activity), COALESCE(?, ip), COALESCE(?, user_agent)
			FROM django_session WHERE session_key = ?
			ON CONFLICT DO NOTHING`),
		delete: db.Rebind(`DELETE FROM django_session WHERE session_key = ?`),
		// The outer expire_date test is checked again on a row that a
		// concurrent save changed while this waited for its lock: a
		// session renewed meanwhile is spared. The subquery's is not.
		deleteExpired: db.Rebind(`DELETE FROM django_session WHERE expire_date < ? AND session_key IN (
			SELECT session_key FROM django_session WHERE expire_date < ? LIMIT ?)`),
		byUser: db.Rebind(`SELECT session_key, expire_date, user_id, created_at, last_activity, ip, user_agent
			FROM django_session WHERE user_id = ? AND expire_date > ?
			ORDER BY last_activity DESC`),
		deleteByUser: db.Rebind(`DELETE FROM django_session WHERE user_id = ? AND session_key <> ?
			RETURNING session_key`),
	}}
}

// Load implements session.Store. An expired row is never served, whether or
// not clearsessions has removed it yet. It takes no lock, so it never waits
// for an Update.
func (s *Store) Load(ctx context.Context, key string) (string, bool, error) {
	r, found, err := s.LoadRecord(ctx, key)
	return r.Data, found, err
}

// LoadRecord is Load with the session's expiry (and no Meta), for a cache
// in front of the store to keep a copy no longer than the session lives.
func (s *Store) LoadRecord(ctx context.Context, key string) (session.Record, bool, error) {
	if !session.ValidKey(key) {
		return session.Record{}, false, nil // no row can have it; spare the database the junk
	}
	var r session.Record
	err := s.db.QueryRowxContext(ctx, s.q.load, key, dbTime(time.Now())).Scan(&r.Data, &r.Expiry)
	if errors.Is(err, sql.ErrNoRows) {
		return session.Record{}, false, nil
	}
	if err != nil {
		return session.Record{}, false, err
	}
	return r, true, nil
}

// Create implements session.Store.
func (s *Store) Create(ctx context.Context, key string, r session.Record) error {
	args := append([]any{key, r.Data, dbTime(r.Expiry)}, metaArgs(r.Meta)...)
	return affected(s.db.ExecContext(ctx, s.q.create, args...))(session.ErrKeyExists)
}

// Update implements session.Store: a transaction that locks the row (or, on
// SQLite, the database) while edit runs. Like Django's save(), it does not
// look at the expiry: a session that the request loaded is still its own.
func (s *Store) Update(ctx context.Context, key string, edit session.Edit) error {
	return s.locked(ctx, key, edit, func(tx *sqlx.Tx, r session.Record) error {
		args := append([]any{r.Data, dbTime(r.Expiry)}, metaArgs(r.Meta)...)
		return affected(tx.ExecContext(ctx, s.q.update, append(args, key)...))(session.ErrNotFound)
	})
}

// Rotate implements session.Store: the new row copies the old one's Meta in
// the same statement, and the old row goes in the same transaction.
func (s *Store) Rotate(ctx context.Context, old, new string, edit session.Edit) error {
	return s.locked(ctx, old, edit, func(tx *sqlx.Tx, r session.Record) error {
		args := append([]any{new, r.Data, dbTime(r.Expiry)}, metaArgs(r.Meta)...)
		if err := affected(tx.ExecContext(ctx, s.q.rotate, append(args, old)...))(session.ErrKeyExists); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q.delete, old)
		return err
	})
}

// locked runs edit on the row under key, locked, and write on its result,
// in one transaction.
func (s *Store) locked(ctx context.Context, key string, edit session.Edit, write func(*sqlx.Tx, session.Record) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() // a no-op after Commit
	var current string
	err = tx.QueryRowxContext(ctx, s.q.lock, key).Scan(&current)
	if errors.Is(err, sql.ErrNoRows) {
		return session.ErrNotFound
	}
	if err != nil {
		return err
	}
	r, err := edit(current)
	if err != nil {
		return err
	}
	if err := write(tx, r); err != nil {
		return err
	}
	return tx.Commit()
}

// affected turns an Exec's result into none when it changed a row, and into
// errNone when it changed nothing.
func affected(res sql.Result, err error) func(errNone error) error {
	return func(errNone error) error {
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return errNone
		}
		return nil
	}
}

// Delete implements session.Store.
func (s *Store) Delete(ctx context.Context, key string) error {
	_, err := s.db.ExecContext(ctx, s.q.delete, key)
	return err
}

// DeleteExpired implements session.Store. Each batch is its own statement, so
// a large clean-up never holds locks on the whole table for long.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time, limit int) (int, error) {
	res, err := s.db.ExecContext(ctx, s.q.deleteExpired, dbTime(now), dbTime(now), limit)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// dbTime is t as both databases keep it: UTC, to the microsecond. On SQLite
// times are text, and comparing them as text is right only in one zone.
func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

var _ session.UserIndex = (*Store)(nil)

// metaRow is what the API keeps beside a session in django_session's
// nullable extra columns, which Django neither writes nor reads.
type metaRow struct {
	Key        string         `db:"session_key"`
	Expiry     time.Time      `db:"expire_date"`
	UserID     sql.NullInt64  `db:"user_id"`
	CreatedAt  sql.NullTime   `db:"created_at"`
	LastActive sql.NullTime   `db:"last_activity"`
	IP         sql.NullString `db:"ip"`
	UserAgent  sql.NullString `db:"user_agent"`
}

// ByUser implements session.UserIndex.
func (s *Store) ByUser(ctx context.Context, userID int64, now time.Time) ([]session.Entry, error) {
	var rows []metaRow
	if err := s.db.SelectContext(ctx, &rows, s.q.byUser, userID, dbTime(now)); err != nil {
		return nil, err
	}
	entries := make([]session.Entry, len(rows))
	for i, r := range rows {
		entries[i] = session.Entry{Key: r.Key, Expiry: r.Expiry.UTC(), Meta: session.Meta{
			UserID: r.UserID.Int64, CreatedAt: r.CreatedAt.Time.UTC(), LastActive: r.LastActive.Time.UTC(),
			IP: r.IP.String, UserAgent: r.UserAgent.String,
		}}
	}
	return entries, nil
}

// DeleteByUser implements session.UserIndex. A Rotate that locked one of
// the user's rows before this statement commits its new row after this
// statement's snapshot was taken: PostgreSQL waits for the old row, then
// finds it gone, and does not see the new one. A second statement, which
// sees that commit, deletes it. (On SQLite, writes are serial anyway.)
func (s *Store) DeleteByUser(ctx context.Context, userID int64, keep string) ([]string, error) {
	var deleted []string
	for range 2 {
		var keys []string
		if err := s.db.SelectContext(ctx, &keys, s.q.deleteByUser, userID, keep); err != nil {
			return deleted, err
		}
		deleted = append(deleted, keys...)
	}
	return deleted, nil
}

// metaArgs are the query arguments of m's columns: NULL for a zero field.
func metaArgs(m session.Meta) []any {
	return []any{nullInt(m.UserID), nullTime(m.CreatedAt), nullTime(m.LastActive),
		nullString(m.IP, 45), nullString(m.UserAgent, 255)}
}

func nullInt(n int64) sql.NullInt64 { return sql.NullInt64{Int64: n, Valid: n != 0} }

func nullTime(t time.Time) sql.NullTime {
	return sql.NullTime{Time: dbTime(t), Valid: !t.IsZero()}
}

// nullString is s as its column takes it: valid UTF-8 without NUL, which
// PostgreSQL refuses (a User-Agent header may hold either), cut to max
// bytes at a character boundary.
func nullString(s string, max int) sql.NullString {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "")
	}
	return sql.NullString{String: s, Valid: s != ""}
}
