package database

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/jmoiron/sqlx"
)

// djangoTable is a table that both one of our migrations and a Django app's
// migrations create, with the same name and shape, so that the API can run
// on a database a Django project migrated (CREATE TABLE IF NOT EXISTS finds
// Django's) or on its own.
type djangoTable struct {
	name string // the table
	app  string // the Django app whose migrations create it
}

// djangoTables are the migrations, by version, that create a table of
// Django's. Reverting one would drop the table with the data of the Django
// project beside the API.
var djangoTables = map[uint]djangoTable{
	1: {name: "django_session", app: "sessions"},
	2: {name: "auth_user", app: "auth"},
}

// djangoCreated reports whether a Django project's migrations were applied
// to this database for app: django_migrations exists and lists it. Then the
// app's tables are Django's, whoever created them first.
func (g *Migrator) djangoCreated(app string) (bool, error) {
	exists := `SELECT to_regclass('django_migrations') IS NOT NULL`
	if g.driver == SQLite {
		exists = `SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'django_migrations'`
	}
	var found bool
	if err := g.db.QueryRow(exists).Scan(&found); err != nil {
		return false, fmt.Errorf("looking for django_migrations: %w", err)
	}
	if !found {
		return false, nil
	}
	q := sqlx.Rebind(sqlx.BindType(g.driver), `SELECT count(*) > 0 FROM django_migrations WHERE app = ?`)
	if err := g.db.QueryRow(q, app).Scan(&found); err != nil {
		return false, fmt.Errorf("reading django_migrations: %w", err)
	}
	return found, nil
}

// skip moves the schema version from v to the migration before it without
// running v's down migration.
func (g *Migrator) skip(v uint) error {
	prev := -1 // no migration applied
	p, err := g.source.Prev(v)
	switch {
	case err == nil:
		prev = int(p)
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	return g.m.Force(prev)
}
