package cart

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/djsessions/api/internal/apperr"
)

// Repository reads the catalog from the products table.
type Repository struct {
	db *sqlx.DB
	q  struct{ list, active string }
}

var _ Catalog = (*Repository)(nil)

// NewRepository returns a Repository on db, which must have been migrated.
func NewRepository(db *sqlx.DB) *Repository {
	r := &Repository{db: db}
	// "active" as a comparison, not a bare column: SQLite's bool is an
	// integer, and both databases read "= true" the same way.
	r.q.list = `SELECT id, name, price FROM products WHERE active = true ORDER BY id`
	r.q.active = `SELECT id, name, price FROM products WHERE active = true AND id IN (?)`
	return r
}

// productRow is a row of products, as far as the cart reads it.
type productRow struct {
	ID    int64  `db:"id"`
	Name  string `db:"name"`
	Price Money  `db:"price"`
}

// List implements Catalog.
func (r *Repository) List(ctx context.Context) ([]Product, error) {
	var rows []productRow
	if err := r.db.SelectContext(ctx, &rows, r.q.list); err != nil {
		return nil, fmt.Errorf("%w: cart: listing products: %w", apperr.ErrUnavailable, err)
	}
	return products(rows), nil
}

// Active implements Catalog.
func (r *Repository) Active(ctx context.Context, ids []int64) ([]Product, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	query, args, err := sqlx.In(r.q.active, ids)
	if err != nil {
		return nil, fmt.Errorf("cart: building the products query: %w", err)
	}
	var rows []productRow
	if err := r.db.SelectContext(ctx, &rows, r.db.Rebind(query), args...); err != nil {
		return nil, fmt.Errorf("%w: cart: reading products: %w", apperr.ErrUnavailable, err)
	}
	return products(rows), nil
}

func products(rows []productRow) []Product {
	ps := make([]Product, len(rows))
	for i, r := range rows {
		ps[i] = Product(r)
	}
	return ps
}
