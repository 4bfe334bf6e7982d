package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/djsessions/api/internal/database"
	"github.com/djsessions/api/internal/testdb"
)

func TestPartitionSessionsCommandGoesUpAndDownAndClearsessionsWorksBetween(t *testing.T) {
	dbURL := testdb.PostgresURL(t)
	db := testdb.Open(t, dbURL)
	now := time.Now().UTC()
	insert := `INSERT INTO django_session (session_key, session_data, expire_date) VALUES ($1, 'x', $2)`
	db.MustExec(insert, "expired0000000000000000000000000", now.Add(-time.Hour))
	db.MustExec(insert, "expired0000000000000000000000001", now.Add(-time.Hour))
	db.MustExec(insert, "live0000000000000000000000000000", now.Add(time.Hour))
	// Production without a SECRET_KEY: the command signs nothing.
	vars := env(map[string]string{"APP_ENV": "production", "DATABASE_URL": dbURL})

	for _, step := range []struct {
		args []string
		want string // the last line printed
	}{
		{[]string{"partition-sessions", "status"}, "django_session is a plain table"},
		{[]string{"partition-sessions", "up", "-partitions", "4"}, "django_session is partitioned by hash of session_key into 4 partitions"},
		{[]string{"partition-sessions", "status"}, "django_session is partitioned by hash of session_key into 4 partitions"},
		{[]string{"clearsessions"}, "deleted 2 expired sessions"},
		{[]string{"partition-sessions", "down"}, "django_session is a plain table"},
		{[]string{"partition-sessions", "up"}, "django_session is partitioned by hash of session_key into 16 partitions"},
	} {
		var out strings.Builder
		if err := run(context.Background(), step.args, vars, nil, &out, io.Discard); err != nil {
			t.Fatalf("%v: %v", step.args, err)
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if last := lines[len(lines)-1]; last != step.want {
			t.Fatalf("%v printed %q; want it to end with %q", step.args, out.String(), step.want)
		}
	}
	var left []string
	if err := db.Select(&left, "SELECT session_key FROM django_session"); err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || left[0] != "live0000000000000000000000000000" {
		t.Fatalf("left %v, want only the live session", left)
	}
}

func TestPartitionSessionsCommandRefusesWhatItCannotDo(t *testing.T) {
	pg := env(map[string]string{"DATABASE_URL": testdb.PostgresURL(t)})
	sqlite := env(map[string]string{"DATABASE_URL": testdb.SQLiteURL(t)})
	for _, tc := range []struct {
		name string
		args []string
		vars func(string) string
		want string
	}{
		{"no action", []string{"partition-sessions"}, pg, "say status, up [-partitions N] or down"},
		{"unknown action", []string{"partition-sessions", "sideways"}, pg, `unknown action "sideways"`},
		{"too few partitions", []string{"partition-sessions", "up", "-partitions", "1"}, pg, "from 2 to 1024"},
		{"not a number", []string{"partition-sessions", "up", "-partitions", "x"}, pg, "invalid value"},
		{"a count to down", []string{"partition-sessions", "down", "-partitions", "4"}, pg, "flag provided but not defined"},
		{"extra words", []string{"partition-sessions", "status", "now"}, pg, "unexpected"},
		{"down of a plain table", []string{"partition-sessions", "down"}, pg, database.ErrNotPartitioned.Error()},
		{"SQLite", []string{"partition-sessions", "status"}, sqlite, database.ErrNotPostgres.Error()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := run(context.Background(), tc.args, tc.vars, nil, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%v: %v; want an error saying %q", tc.args, err, tc.want)
			}
		})
	}
}
