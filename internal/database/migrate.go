package database

import (
	"database/sql"
	"errors"
	"fmt"
	"io/fs"

	"github.com/golang-migrate/migrate/v4"
	"github.com/golang-migrate/migrate/v4/database"
	"github.com/golang-migrate/migrate/v4/database/postgres"
	"github.com/golang-migrate/migrate/v4/database/sqlite"
	"github.com/golang-migrate/migrate/v4/source"
	"github.com/golang-migrate/migrate/v4/source/iofs"

	"github.com/djsessions/api/db/migrations"
)

// Migrator applies the embedded migrations to one database.
type Migrator struct {
	m      *migrate.Migrate
	source source.Driver
	db     *sql.DB // the connection golang-migrate migrates, for looking around
	driver string  // Postgres or SQLite
}

// NewMigrator returns a Migrator for the database of url. Close it when done.
// On PostgreSQL golang-migrate holds an advisory lock while migrating, so
// several processes starting at once migrate one after the other.
func NewMigrator(url string) (*Migrator, error) {
	src, err := ParseURL(url)
	if err != nil {
		return nil, err
	}
	dir, err := fs.Sub(migrations.FS, src.Driver)
	if err != nil {
		return nil, fmt.Errorf("database: migrations: %w", err)
	}
	source, err := iofs.New(dir, ".")
	if err != nil {
		return nil, fmt.Errorf("database: migrations: %w", err)
	}
	raw, err := openRaw(src)
	if err != nil {
		return nil, err
	}
	var driver database.Driver
	if src.Driver == Postgres {
		driver, err = postgres.WithInstance(raw, &postgres.Config{})
	} else {
		driver, err = sqlite.WithInstance(raw, &sqlite.Config{})
	}
	if err != nil {
		raw.Close()
		return nil, fmt.Errorf("database: migrations: %w", err)
	}
	m, err := migrate.NewWithInstance("iofs", source, src.Driver, driver)
	if err != nil {
		raw.Close()
		return nil, fmt.Errorf("database: migrations: %w", err)
	}
	return &Migrator{m: m, source: source, db: raw, driver: src.Driver}, nil
}

// Up applies every migration not yet applied.
func (g *Migrator) Up() error {
	if err := g.m.Up(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("database: migrate up: %w", err)
	}
	return nil
}

// Down reverts the last n migrations, one at a time. A migration that
// created one of Django's tables is not reverted when a Django project's
// migrations created that table too (see djangoTables): the table stays as
// it is, the version moves past the migration, and kept says which tables
// were left and why. It is an error to ask for more steps than there are
// migrations applied; the ones there were are reverted.
func (g *Migrator) Down(n int) (kept []string, err error) {
	for done := range n {
		v, dirty, err := g.m.Version()
		if errors.Is(err, migrate.ErrNilVersion) {
			return kept, fmt.Errorf("database: migrate down: only %d of the %d migrations asked for were applied", done, n)
		}
		if err != nil {
			return kept, fmt.Errorf("database: migrate down: %w", err)
		}
		if dirty {
			return kept, fmt.Errorf("database: migrate down: %w", migrate.ErrDirty{Version: int(v)})
		}
		if table, ok := djangoTables[v]; ok {
			owned, err := g.djangoCreated(table.app)
			if err != nil {
				return kept, fmt.Errorf("database: migrate down: %w", err)
			}
			if owned {
				if err := g.skip(v); err != nil {
					return kept, fmt.Errorf("database: migrate down: %w", err)
				}
				kept = append(kept, fmt.Sprintf("kept %s: Django's migrations created it (django_migrations lists the %q app), so it is Django's to drop",
					table.name, table.app))
				continue
			}
		}
		if err := g.m.Steps(-1); err != nil {
			return kept, fmt.Errorf("database: migrate down: %w", err)
		}
	}
	return kept, nil
}

// Version returns the current schema version; dirty means a migration failed
// halfway and needs a person to look at it.
func (g *Migrator) Version() (version uint, dirty bool, err error) {
	version, dirty, err = g.m.Version()
	if errors.Is(err, migrate.ErrNilVersion) {
		return 0, false, nil
	}
	return version, dirty, err
}

// Close releases the Migrator's connection.
func (g *Migrator) Close() error {
	srcErr, dbErr := g.m.Close()
	return errors.Join(srcErr, dbErr)
}

// Migrate applies every pending migration to the database of url.
func Migrate(url string) error {
	g, err := NewMigrator(url)
	if err != nil {
		return err
	}
	defer g.Close()
	return g.Up()
}
