// Package testdb gives each test a database of its own: a fresh, migrated
// PostgreSQL schema, or a fresh SQLite file, removed when the test ends, so
// that tests and packages running in parallel never see each other's rows.
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/djsessions/api/internal/database"
)

// DefaultPostgresURL is the PostgreSQL database the tests use unless
// TEST_DATABASE_URL names another.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// PostgresURL returns the URL of a new, migrated schema of the test database.
// The schema is dropped when the test ends.
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := EmptyPostgresURL(t)
	migrate(t, u)
	return u
}

// EmptyPostgresURL returns the URL of a new, empty schema of the test
// database, for a test that migrates it itself (or lets Django do so
// first). The schema is dropped when the test ends.
func EmptyPostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		base = DefaultPostgresURL
	}
	ctx := context.Background()
	admin, err := database.Open(ctx, base)
	if err != nil {
		t.Fatalf("testdb: PostgreSQL is needed for this test (start it, or set TEST_DATABASE_URL): %v", err)
	}
	defer admin.Close()

	schema := "test_" + randomHex()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("testdb: %v", err)
	}
	t.Cleanup(func() {
		db, err := database.Open(context.Background(), base)
		if err != nil {
			t.Errorf("testdb: dropping %s: %v", schema, err)
			return
		}
		defer db.Close()
		if _, err := db.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Errorf("testdb: dropping %s: %v", schema, err)
		}
	})

	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema) // lib/pq passes it on as a run-time parameter
	u.RawQuery = q.Encode()
	return u.String()
}

// SQLiteURL returns the URL of a new, migrated SQLite file in the test's
// temporary directory.
func SQLiteURL(t testing.TB) string {
	t.Helper()
	u := "sqlite:" + filepath.Join(t.TempDir(), "db.sqlite3")
	migrate(t, u)
	return u
}

// Open opens the database of url for the rest of the test.
func Open(t testing.TB, url string) *sqlx.DB {
	t.Helper()
	db, err := database.Open(context.Background(), url)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Each runs f once for each database the API supports, as a subtest named
// after it; newURL makes a fresh database of that kind (PostgresURL or
// SQLiteURL) and may be called as often as f needs.
func Each(t *testing.T, f func(t *testing.T, newURL func(testing.TB) string)) {
	t.Run("postgres", func(t *testing.T) { f(t, PostgresURL) })
	t.Run("sqlite", func(t *testing.T) { f(t, SQLiteURL) })
}

func migrate(t testing.TB, url string) {
	t.Helper()
	if err := database.Migrate(url); err != nil {
		t.Fatalf("testdb: %v", err)
	}
}

func randomHex() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
