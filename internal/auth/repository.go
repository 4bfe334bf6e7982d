package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/djsessions/api/internal/apperr"
)

// Repository keeps users in Django's auth_user table.
type Repository struct {
	db *sqlx.DB
	q  struct{ create, byUsername, byID, setPassword, setLastLogin string }
}

// NewRepository returns a Repository on db, which must have been migrated.
func NewRepository(db *sqlx.DB) *Repository {
	r := &Repository{db: db}
	const columns = `id, password, last_login, username, email, is_active, date_joined`
	// ON CONFLICT … RETURNING tells a taken username by the absence of a row,
	// alike on PostgreSQL and SQLite, with no driver-specific error codes.
	r.q.create = db.Rebind(`INSERT INTO auth_user (password, last_login, is_superuser, username,
		first_name, last_name, email, is_staff, is_active, date_joined)
		VALUES (?, NULL, false, ?, '', '', ?, false, true, ?)
		ON CONFLICT (username) DO NOTHING RETURNING ` + columns)
	r.q.byUsername = db.Rebind(`SELECT ` + columns + ` FROM auth_user WHERE username = ?`)
	r.q.byID = db.Rebind(`SELECT ` + columns + ` FROM auth_user WHERE id = ?`)
	r.q.setPassword = db.Rebind(`UPDATE auth_user SET password = ? WHERE id = ?`)
	r.q.setLastLogin = db.Rebind(`UPDATE auth_user SET last_login = ? WHERE id = ?`)
	return r
}

// userRow is a row of auth_user, as far as this API uses it.
type userRow struct {
	ID         int64        `db:"id"`
	Password   string       `db:"password"`
	LastLogin  sql.NullTime `db:"last_login"`
	Username   string       `db:"username"`
	Email      string       `db:"email"`
	IsActive   bool         `db:"is_active"`
	DateJoined time.Time    `db:"date_joined"`
}

func (r userRow) user() User {
	u := User{ID: r.ID, PasswordHash: r.Password, Username: r.Username, Email: r.Email,
		IsActive: r.IsActive, DateJoined: r.DateJoined.UTC()}
	if r.LastLogin.Valid {
		t := r.LastLogin.Time.UTC()
		u.LastLogin = &t
	}
	return u
}

// Create stores a new, active user. A taken username is ErrUsernameTaken.
func (r *Repository) Create(ctx context.Context, username, email, passwordHash string, joined time.Time) (User, error) {
	var row userRow
	err := r.db.GetContext(ctx, &row, r.q.create, passwordHash, username, email, dbTime(joined))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrUsernameTaken
	}
	if err != nil {
		return User{}, fmt.Errorf("%w: auth: creating user: %w", apperr.ErrUnavailable, err)
	}
	return row.user(), nil
}

// ByUsername returns the user with exactly that username (case matters, as
// in Django), or ErrNoUser.
func (r *Repository) ByUsername(ctx context.Context, username string) (User, error) {
	return r.get(ctx, r.q.byUsername, username)
}

// ByID returns the user with that id, or ErrNoUser.
func (r *Repository) ByID(ctx context.Context, id int64) (User, error) {
	return r.get(ctx, r.q.byID, id)
}

func (r *Repository) get(ctx context.Context, query string, arg any) (User, error) {
	var row userRow
	err := r.db.GetContext(ctx, &row, query, arg)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrNoUser
	}
	if err != nil {
		return User{}, fmt.Errorf("%w: auth: reading user: %w", apperr.ErrUnavailable, err)
	}
	return row.user(), nil
}

// SetPassword replaces the user's password hash.
func (r *Repository) SetPassword(ctx context.Context, id int64, hash string) error {
	if _, err := r.db.ExecContext(ctx, r.q.setPassword, hash, id); err != nil {
		return fmt.Errorf("%w: auth: setting password: %w", apperr.ErrUnavailable, err)
	}
	return nil
}

// SetLastLogin records a login.
func (r *Repository) SetLastLogin(ctx context.Context, id int64, at time.Time) error {
	if _, err := r.db.ExecContext(ctx, r.q.setLastLogin, dbTime(at), id); err != nil {
		return fmt.Errorf("%w: auth: setting last_login: %w", apperr.ErrUnavailable, err)
	}
	return nil
}

// dbTime is t as both databases keep it: UTC, to the microsecond.
func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }
