// Package dbstore keeps sessions in Django's django_session table, on
// PostgreSQL or SQLite, as Django's db session backend does.
package dbstore

import (
	"context"
	"database/sql"
	"errors"
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
