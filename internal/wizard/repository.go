package wizard

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/djsessions/api/internal/apperr"
)

// Repository keeps submitted profiles in the profiles table.
type Repository struct {
	db *sqlx.DB
	q  struct{ create, bySubmission string }
}

var _ profiles = (*Repository)(nil)

// NewRepository returns a Repository on db, which must have been migrated.
func NewRepository(db *sqlx.DB) *Repository {
	r := &Repository{db: db}
	const columns = `id, user_id, name, email, phone, address, city, postal_code, submission_id, created_at`
	// ON CONFLICT … RETURNING tells a submission already stored by the
	// absence of a row, alike on PostgreSQL and SQLite. The user is looked
	// up in the insert itself, so that one deleted since the request
	// checked the session leaves NULL, as its deletion would have, rather
	// than failing the submit on the foreign key.
	r.q.create = db.Rebind(`INSERT INTO profiles (user_id, name, email, phone, address, city, postal_code, submission_id, created_at)
		VALUES ((SELECT id FROM auth_user WHERE id = ?), ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (submission_id) DO NOTHING RETURNING ` + columns)
	r.q.bySubmission = db.Rebind(`SELECT ` + columns + ` FROM profiles WHERE submission_id = ?`)
	return r
}

// profileRow is a row of profiles.
type profileRow struct {
	ID           int64         `db:"id"`
	UserID       sql.NullInt64 `db:"user_id"`
	Name         string        `db:"name"`
	Email        string        `db:"email"`
	Phone        string        `db:"phone"`
	Street       string        `db:"address"`
	City         string        `db:"city"`
	PostalCode   string        `db:"postal_code"`
	SubmissionID string        `db:"submission_id"`
	CreatedAt    time.Time     `db:"created_at"`
}

func (r profileRow) profile() Profile {
	p := Profile{
		ID:           r.ID,
		Contact:      Contact{Name: r.Name, Email: r.Email, Phone: r.Phone},
		Address:      Address{Street: r.Street, City: r.City, PostalCode: r.PostalCode},
		SubmissionID: r.SubmissionID,
		CreatedAt:    r.CreatedAt.UTC(),
	}
	if r.UserID.Valid {
		p.UserID = &r.UserID.Int64
	}
	return p
}

// Create stores p, or returns the profile already stored under its
// SubmissionID (a submit retried, or sent twice at once), unchanged. On
// PostgreSQL a concurrent insert of the same id waits for the first to
// commit, then finds its row.
func (r *Repository) Create(ctx context.Context, p Profile) (Profile, error) {
	var row profileRow
	err := r.db.GetContext(ctx, &row, r.q.create, p.UserID,
		p.Contact.Name, p.Contact.Email, p.Contact.Phone,
		p.Address.Street, p.Address.City, p.Address.PostalCode,
		p.SubmissionID, p.CreatedAt.UTC())
	if errors.Is(err, sql.ErrNoRows) {
		err = r.db.GetContext(ctx, &row, r.q.bySubmission, p.SubmissionID)
	}
	if err != nil {
		return Profile{}, fmt.Errorf("%w: wizard: creating profile: %w", apperr.ErrUnavailable, err)
	}
	return row.profile(), nil
}
