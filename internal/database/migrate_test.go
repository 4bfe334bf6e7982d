package database_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/djsessions/api/internal/database"
	"github.com/djsessions/api/internal/testdb"
)

// tables are the API's tables, Django's two among them.
var tables = []string{"django_session", "auth_user", "auth_login_failure", "products", "profiles"}

func TestMigrateDownDropsEveryTableOfADatabaseWithoutDjango(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		url := newURL(t)
		kept := downAll(t, url)
		if len(kept) != 0 {
			t.Fatalf("kept %q in a database Django never migrated", kept)
		}
		db := testdb.Open(t, url)
		for _, table := range tables {
			if exists(t, db, table) {
				t.Errorf("%s is still there after migrate down to version 0", table)
			}
		}
	})
}

func TestMigrateDownKeepsTheTablesDjangosMigrationsCreated(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		url := newURL(t)
		db := testdb.Open(t, url)
		// What Django's migrate leaves (its table, and the rows of the
		// apps whose tables the API shares), short of running Django:
		// the djangointerop tests do that.
		db.MustExec(`CREATE TABLE django_migrations (id integer PRIMARY KEY, app varchar(255) NOT NULL,
			name varchar(255) NOT NULL, applied timestamp NOT NULL)`)
		db.MustExec(`INSERT INTO django_migrations VALUES (1, 'auth', '0001_initial', CURRENT_TIMESTAMP),
			(2, 'sessions', '0001_initial', CURRENT_TIMESTAMP)`)
		db.MustExec(`INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email,
			is_staff, is_active, date_joined) VALUES ('!', false, 'ada', '', '', '', false, true, CURRENT_TIMESTAMP)`)

		kept := downAll(t, url)

		if len(kept) != 2 || !strings.HasPrefix(kept[0], "kept auth_user: Django's migrations created it") ||
			!strings.HasPrefix(kept[1], "kept django_session: Django's migrations created it") {
			t.Fatalf("migrate down said %q; want auth_user and django_session kept, with the reason", kept)
		}
		for _, table := range tables {
			if want := table == "django_session" || table == "auth_user"; exists(t, db, table) != want {
				t.Errorf("after migrate down, %s exists: %v; want %v", table, !want, want)
			}
		}
		var users int
		if err := db.Get(&users, "SELECT count(*) FROM auth_user"); err != nil || users != 1 {
			t.Fatalf("Django's users after migrate down: %d, %v", users, err)
		}
		// The API's columns beside Django's are gone: migration 4 was undone.
		if _, err := db.Exec("SELECT user_id FROM django_session"); err == nil {
			t.Error("django_session still has the API's user_id column")
		}
		// And up again finds Django's tables and adds to them.
		if err := database.Migrate(url); err != nil {
			t.Fatalf("migrate up after down: %v", err)
		}
		if _, err := db.Exec("SELECT user_id FROM django_session"); err != nil {
			t.Errorf("django_session after migrate up: %v", err)
		}
	})
}

func TestMigrateDownPastTheFirstMigrationIsAnError(t *testing.T) {
	url := testdb.SQLiteURL(t)
	m, err := database.NewMigrator(url)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	n, _, err := m.Version()
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("only %d of the %d", n, n+1)
	if _, err := m.Down(int(n) + 1); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("down %d from version %d: %v; want an error saying %q", n+1, n, err, want)
	}
	if v, _, _ := m.Version(); v != 0 {
		t.Fatalf("version %d after down %d; want the %d there were reverted", v, n+1, n)
	}
}

// downAll reverts every migration of url's database, and returns what Down
// said it kept.
func downAll(t *testing.T, url string) []string {
	t.Helper()
	m, err := database.NewMigrator(url)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	n, _, err := m.Version()
	if err != nil {
		t.Fatal(err)
	}
	kept, err := m.Down(int(n))
	if err != nil {
		t.Fatalf("migrate down %d: %v", n, err)
	}
	if v, _, err := m.Version(); err != nil || v != 0 {
		t.Fatalf("version after migrate down %d: %d, %v", n, v, err)
	}
	return kept
}

func exists(t *testing.T, db *sqlx.DB, table string) bool {
	t.Helper()
	q := `SELECT to_regclass($1) IS NOT NULL`
	if db.DriverName() == database.SQLite {
		q = `SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = ?`
	}
	var found bool
	if err := db.Get(&found, q, table); err != nil {
		t.Fatal(err)
	}
	return found
}
