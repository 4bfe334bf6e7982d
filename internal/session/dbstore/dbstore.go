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
	load, create, save, delete, deleteExpired string
	saveMeta, copyMeta, byUser                string
}

// New returns a Store on db, which must have been migrated.
func New(db *sqlx.DB) *Store {
	return &Store{db: db, q: queries{
		load: db.Rebind(`SELECT session_data FROM django_session
			WHERE session_key = ? AND expire_date > ?`),
		// ON CONFLICT DO NOTHING tells a taken key by the rows affected,
		// without a driver-specific error code and without aborting a
		// surrounding transaction.
		create: db.Rebind(`INSERT INTO django_session (session_key, session_data, expire_date)
			VALUES (?, ?, ?) ON CONFLICT DO NOTHING`),
		save: db.Rebind(`UPDATE django_session SET session_data = ?, expire_date = ?
			WHERE session_key = ?`),
		delete: db.Rebind(`DELETE FROM django_session WHERE session_key = ?`),
		deleteExpired: db.Rebind(`DELETE FROM django_session WHERE session_key IN (
			SELECT session_key FROM django_session WHERE expire_date < ? LIMIT ?)`),
		// COALESCE: a field not given keeps its value.
		saveMeta: db.Rebind(`UPDATE django_session SET
			user_id = COALESCE(?, user_id), created_at = COALESCE(?, created_at),
			last_activity = COALESCE(?, last_activity), ip = COALESCE(?, ip),
			user_agent = COALESCE(?, user_agent)
			WHERE session_key = ?`),
		copyMeta: db.Rebind(`UPDATE django_session SET
			(user_id, created_at, last_activity, ip, user_agent) = (
				SELECT user_id, created_at, last_activity, ip, user_agent
				FROM django_session WHERE session_key = ?)
			WHERE session_key = ?`),
		byUser: db.Rebind(`SELECT session_key, expire_date, user_id, created_at, last_activity, ip, user_agent
			FROM django_session WHERE user_id = ? AND expire_date > ?
			ORDER BY last_activity DESC`),
	}}
}

// Load implements session.Store. An expired row is never served, whether or
// not clearsessions has removed it yet.
func (s *Store) Load(ctx context.Context, key string) (string, bool, error) {
	if !session.ValidKey(key) {
		return "", false, nil // no row can have it; spare the database the junk
	}
	var data string
	err := s.db.QueryRowxContext(ctx, s.q.load, key, dbTime(time.Now())).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return data, true, nil
}

// Create implements session.Store.
func (s *Store) Create(ctx context.Context, key, data string, expiry time.Time) error {
	res, err := s.db.ExecContext(ctx, s.q.create, key, data, dbTime(expiry))
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return session.ErrKeyExists
	}
	return nil
}

// Save implements session.Store.
func (s *Store) Save(ctx context.Context, key, data string, expiry time.Time) error {
	res, err := s.db.ExecContext(ctx, s.q.save, data, dbTime(expiry), key)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return session.ErrNotFound
	}
	return nil
}

// Delete implements session.Store.
func (s *Store) Delete(ctx context.Context, key string) error {
	_, err := s.db.ExecContext(ctx, s.q.delete, key)
	return err
}

// DeleteExpired implements session.Store. Each batch is its own statement, so
// a large clean-up never holds locks on the whole table for long.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time, limit int) (int, error) {
	res, err := s.db.ExecContext(ctx, s.q.deleteExpired, dbTime(now), limit)
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

// SaveMeta implements session.UserIndex.
func (s *Store) SaveMeta(ctx context.Context, key string, m session.Meta) error {
	_, err := s.db.ExecContext(ctx, s.q.saveMeta,
		nullInt(m.UserID), nullTime(m.CreatedAt), nullTime(m.LastActive),
		nullString(m.IP, 45), nullString(m.UserAgent, 255), key)
	return err
}

// CopyMeta implements session.UserIndex.
func (s *Store) CopyMeta(ctx context.Context, from, to string) error {
	_, err := s.db.ExecContext(ctx, s.q.copyMeta, from, to)
	return err
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
