package database

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/golang-migrate/migrate/v4"
	"github.com/golang-migrate/migrate/v4/database"
	"github.com/golang-migrate/migrate/v4/database/postgres"
	"github.com/golang-migrate/migrate/v4/database/sqlite"
	"github.com/golang-migrate/migrate/v4/source/iofs"

	"github.com/djsessions/api/db/migrations"
)

// Migrator applies the embedded migrations to one database.
type Migrator struct {
	m *migrate.Migrate
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
	return &Migrator{m: m}, nil
}

// Up applies every migration not yet applied.
func (g *Migrator) Up() error {
	if err := g.m.Up(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("database: migrate up: %w", err)
	}
	return nil
}

// Down reverts the last n migrations.
func (g *Migrator) Down(n int) error {
	if err := g.m.Steps(-n); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("database: migrate down: %w", err)
	}
	return nil
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
