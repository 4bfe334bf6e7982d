package djangointerop

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/djsessions/api/internal/apitest"
	"github.com/djsessions/api/internal/database"
	"github.com/djsessions/api/internal/djangotest"
	"github.com/djsessions/api/internal/testdb"
)

// djangoInserts makes Django insert into both shared tables, as its ORM
// does, and prints the new session's key.
const djangoInserts = `
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
User.objects.create_user("made_by_django", "django@example.com", "correct horse battery")
s = SessionStore()
s["made_by"] = "django"
s.create()
print(s.session_key)
`

// The columns the API adds to django_session (migration 000004): all
// nullable and without defaults, so that Django's INSERTs of its three
// columns succeed.
var extraColumns = []string{"user_id", "created_at", "last_activity", "ip", "user_agent"}

func TestTheAPIMigratesADatabaseDjangoMigratedWithoutBreakingDjango(t *testing.T) {
	djangotest.Require(t)
	for name, newURL := range map[string]func(*testing.T) string{
		"postgres": func(t *testing.T) string { return testdb.EmptyPostgresURL(t) },
		"sqlite":   func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "db.sqlite3") },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			url := newURL(t)
			env := djangoEnv(url, "db")
			manage(t, env, "migrate", "--no-input")
			db := testdb.Open(t, url)
			django := map[string][]string{"django_session": shape(t, db, "django_session"), "auth_user": shape(t, db, "auth_user")}

			// migrate up, twice: the second finds nothing to do.
			for range 2 {
				if err := database.Migrate(url); err != nil {
					t.Fatalf("the API's migrate up on Django's tables: %v", err)
				}
			}
			// auth_user gains only the trigger (migration 000007, PostgreSQL
			// only) that announces changes to users to the API's processes.
			if added := without(shape(t, db, "auth_user"), django["auth_user"]); !slices.Equal(added, authUserExtra(db.DriverName())) {
				t.Errorf("the API's migrations added to auth_user:\n%s\nwant only:\n%s", lines(added), lines(authUserExtra(db.DriverName())))
			}
			if missing := without(django["auth_user"], shape(t, db, "auth_user")); len(missing) > 0 {
				t.Errorf("the API's migrations changed Django's auth_user:\n%s", lines(missing))
			}
			added := without(shape(t, db, "django_session"), django["django_session"])
			if want := extraShape(db.DriverName()); !slices.Equal(added, want) {
				t.Errorf("the API's migrations added to django_session:\n%s\nwant only:\n%s", lines(added), lines(want))
			}
			if missing := without(django["django_session"], shape(t, db, "django_session")); len(missing) > 0 {
				t.Errorf("the API's migrations changed Django's django_session:\n%s", lines(missing))
			}

			// Django's own inserts still succeed, and the API reads them.
			key := strings.TrimSpace(manage(t, env, "shell", "-c", djangoInserts))
			api := apitest.New(t, apitest.Options{DatabaseURL: url})
			var keys struct {
				Keys []string `json:"keys"`
			}
			c := api.Browser()
			setKey(t, api, c, key)
			c.Get("/api/session").Want(t, 200).JSON(t, &keys)
			if !slices.Equal(keys.Keys, []string{"made_by"}) {
				stored, found := api.Stored(t, key)
				t.Errorf("the session Django created (key %q, stored %v: %+v), read here: keys %q", key, found, stored, keys.Keys)
			}
			api.Browser().Post("/api/auth/login", map[string]string{"username": "made_by_django", "password": pw}).Want(t, 200)

			// migrate down to nothing: Django's tables are left as Django
			// made them, and Django still runs on them.
			m, err := database.NewMigrator(url)
			if err != nil {
				t.Fatal(err)
			}
			n, _, err := m.Version()
			if err != nil {
				t.Fatal(err)
			}
			kept, err := m.Down(int(n))
			m.Close()
			if err != nil || len(kept) != 2 {
				t.Fatalf("migrate down %d: kept %q, %v; want auth_user and django_session kept", n, kept, err)
			}
			for table, want := range django {
				if got := shape(t, db, table); !slices.Equal(got, want) {
					t.Errorf("%s after the API's migrate down:\n%s\nwant Django's:\n%s", table, lines(got), lines(want))
				}
			}
			db.MustExec("DELETE FROM auth_user WHERE username = 'made_by_django'")
			manage(t, env, "shell", "-c", djangoInserts)
			if out := manage(t, env, "migrate", "--no-input"); !strings.Contains(out, "No migrations to apply") {
				t.Errorf("Django's migrate after the API's migrate down:\n%s", out)
			}
		})
	}
}

// shape describes table as the database has it: its columns, indexes and
// constraints, one per line, in a stable order.
func shape(t *testing.T, db *sqlx.DB, table string) []string {
	t.Helper()
	queries := []string{
		`SELECT 'column ' || column_name || ' ' || data_type || coalesce('(' || character_maximum_length || ')', '')
			|| ' nullable=' || is_nullable || ' default=' || coalesce(column_default, '')
		FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`,
		`SELECT 'index ' || replace(indexdef, current_schema() || '.', '') FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1`,
		`SELECT 'constraint ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = $1::regclass`,
		`SELECT 'trigger ' || replace(pg_get_triggerdef(oid), current_schema() || '.', '') FROM pg_trigger
		WHERE tgrelid = $1::regclass AND NOT tgisinternal`,
	}
	if db.DriverName() == database.SQLite {
		queries = []string{
			`SELECT 'column ' || name || ' ' || lower(type) || ' notnull=' || "notnull" || ' default=' || coalesce(dflt_value, '')
				|| ' pk=' || pk FROM pragma_table_info(?)`,
			`SELECT 'index ' || name || ' ' || coalesce(sql, '(automatic)') FROM sqlite_master WHERE type = 'index' AND tbl_name = ?`,
			`SELECT 'trigger ' || name || ' ' || sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?`,
		}
	}
	var all []string
	for _, q := range queries {
		var got []string
		if err := db.Select(&got, q, table); err != nil {
			t.Fatalf("reading the shape of %s: %v", table, err)
		}
		all = append(all, got...)
	}
	slices.Sort(all)
	return all
}

// extraShape is what migration 000004 adds to django_session, as shape
// describes it.
func extraShape(driver string) []string {
	types := map[string][2]string{
		"user_id": {"integer", "integer"}, "created_at": {"timestamp with time zone", "datetime"},
		"last_activity": {"timestamp with time zone", "datetime"},
		"ip":            {"character varying(45)", "varchar(45)"}, "user_agent": {"character varying(255)", "varchar(255)"},
	}
	var out []string
	for _, c := range extraColumns {
		if driver == database.SQLite {
			out = append(out, "column "+c+" "+types[c][1]+" notnull=0 default= pk=0")
		} else {
			out = append(out, "column "+c+" "+types[c][0]+" nullable=YES default=")
		}
	}
	if driver == database.SQLite {
		out = append(out, `index django_session_user_id CREATE INDEX "django_session_user_id" ON "django_session" ("user_id")`)
	} else {
		out = append(out, "index CREATE INDEX django_session_user_id ON django_session USING btree (user_id)")
	}
	slices.Sort(out)
	return out
}

// authUserExtra is what the API's migrations add to auth_user, as shape
// describes it.
func authUserExtra(driver string) []string {
	if driver == database.SQLite {
		return nil
	}
	return []string{"trigger CREATE TRIGGER djsessions_auth_user_changed AFTER DELETE OR UPDATE ON auth_user " +
		"FOR EACH ROW EXECUTE FUNCTION djsessions_notify_auth_user()"}
}

// without returns the lines of a that b does not have.
func without(a, b []string) []string {
	var out []string
	for _, l := range a {
		if !slices.Contains(b, l) {
			out = append(out, l)
		}
	}
	return out
}

func lines(l []string) string { return "  " + strings.Join(l, "\n  ") }
