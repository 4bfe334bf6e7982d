package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/djsessions/api/internal/password"
	"github.com/djsessions/api/internal/testdb"
)

func TestServeStartsAndEndsGracefullyWithRequestsInFlight(t *testing.T) {
	dbURL := testdb.PostgresURL(t)
	t.Chdir(t.TempDir())
	cfg, err := loadConfig(env(map[string]string{"DATABASE_URL": dbURL, "SECRET_KEY": "k", "LISTEN_ADDR": "127.0.0.1:0"}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	addrs := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, slog.New(slog.DiscardHandler), func(a net.Addr) { addrs <- a }) }()
	var addr net.Addr
	select {
	case addr = <-addrs:
	case err := <-done:
		t.Fatalf("serve returned before listening: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start listening")
	}

	// A request whose body is still arriving when the shutdown starts.
	conn, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"seconds":3600}`
	fmt.Fprintf(conn, "PUT /api/session/expiry HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:5])
	time.Sleep(100 * time.Millisecond) // let the server start reading it
	stop()
	time.Sleep(100 * time.Millisecond) // let the shutdown begin
	io.WriteString(conn, body[5:])

	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the request in flight got no response: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Set-Cookie"), "Max-Age=3600") {
		t.Fatalf("the request in flight got %d, Set-Cookie %q; want 200 with its session saved", res.StatusCode, res.Header.Get("Set-Cookie"))
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not return after shutdown")
	}
}

func TestProductionRefusesToStartWithoutSecretKey(t *testing.T) {
	var stderr strings.Builder
	err := run(context.Background(), nil, env(map[string]string{"APP_ENV": "production"}), strings.NewReader(""), io.Discard, &stderr)
	if err == nil || !strings.Contains(err.Error(), "SECRET_KEY: is required when APP_ENV=production") {
		t.Fatalf("run: %v; want a refusal naming SECRET_KEY", err)
	}
}

func TestMigrateCommandGoesDownAndUp(t *testing.T) {
	dbURL := testdb.PostgresURL(t)
	vars := env(map[string]string{"DATABASE_URL": dbURL, "SECRET_KEY": "k"})
	for _, step := range []struct {
		args []string
		want string
	}{
		{[]string{"migrate", "version"}, "schema version 7\n"},
		{[]string{"migrate", "down"}, "schema version 6\n"},
		{[]string{"migrate", "down", "6"}, "schema version 0\n"},
		{[]string{"migrate", "up"}, "schema version 7\n"},
	} {
		var out strings.Builder
		if err := run(context.Background(), step.args, vars, nil, &out, io.Discard); err != nil {
			t.Fatalf("%v: %v", step.args, err)
		}
		if out.String() != step.want {
			t.Fatalf("%v printed %q, want %q", step.args, out.String(), step.want)
		}
	}
	db := testdb.Open(t, dbURL)
	if _, err := db.Exec("SELECT 1 FROM django_session"); err != nil {
		t.Fatalf("django_session after migrate up: %v", err)
	}
}

func TestMigrateCommandRejectsNonsense(t *testing.T) {
	dbURL := testdb.SQLiteURL(t)
	vars := env(map[string]string{"DATABASE_URL": dbURL, "SECRET_KEY": "k"})
	for _, args := range [][]string{{"migrate"}, {"migrate", "sideways"}, {"migrate", "down", "-1"}, {"migrate", "down", "x"}} {
		if err := run(context.Background(), args, vars, nil, io.Discard, io.Discard); err == nil {
			t.Errorf("%v succeeded", args)
		}
	}
}

func TestClearSessionsDeletesExpiredOnly(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		dbURL := newURL(t)
		db := testdb.Open(t, dbURL)
		insert := db.Rebind("INSERT INTO django_session (session_key, session_data, expire_date) VALUES (?, ?, ?)")
		now := time.Now().UTC()
		for i := range 7 {
			db.MustExec(insert, fmt.Sprintf("expired%025d", i), "x", now.Add(-time.Hour))
		}
		db.MustExec(insert, "live0000000000000000000000000000", "x", now.Add(time.Hour))
		failure := db.Rebind("INSERT INTO auth_login_failure (scope, subject, failed_at) VALUES ('user', 'alice', ?)")
		db.MustExec(failure, now.Add(-time.Hour)) // out of the default 15-minute window
		db.MustExec(failure, now)                 // still counting

		var out strings.Builder
		err := run(context.Background(), []string{"clearsessions"}, env(map[string]string{"DATABASE_URL": dbURL, "SECRET_KEY": "k"}), nil, &out, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(out.String(), "deleted 7 expired sessions\n") {
			t.Fatalf("printed %q", out.String())
		}
		var left []string
		if err := db.Select(&left, "SELECT session_key FROM django_session"); err != nil {
			t.Fatal(err)
		}
		if len(left) != 1 || left[0] != "live0000000000000000000000000000" {
			t.Fatalf("left %v, want only the live session", left)
		}
		if !strings.Contains(out.String(), "deleted 1 failed-login records past the window\n") {
			t.Fatalf("printed %q", out.String())
		}
	})
}

func TestUnknownCommandPrintsUsage(t *testing.T) {
	var stderr strings.Builder
	err := run(context.Background(), []string{"frobnicate"}, env(nil), strings.NewReader(""), io.Discard, &stderr)
	if err == nil || !strings.Contains(stderr.String(), "usage: api") {
		t.Fatalf("err %v, stderr %q", err, stderr.String())
	}
}

func TestClearSessionsNeedsNoSecretKeyEvenInProduction(t *testing.T) {
	dbURL := testdb.SQLiteURL(t)
	t.Chdir(t.TempDir())
	var out strings.Builder
	err := run(context.Background(), []string{"clearsessions"},
		env(map[string]string{"APP_ENV": "production", "DATABASE_URL": dbURL}), nil, &out, io.Discard)
	if err != nil || !strings.HasSuffix(out.String(), "deleted 0 expired sessions\n") {
		t.Fatalf("clearsessions: %v, printed %q", err, out.String())
	}
	if _, err := os.Stat("var"); !os.IsNotExist(err) {
		t.Fatal("clearsessions created var/")
	}
}

func TestMigrateCreatesTheDirectoryOfANewSQLiteFile(t *testing.T) {
	t.Chdir(t.TempDir())
	var out strings.Builder
	err := run(context.Background(), []string{"migrate", "up"},
		env(map[string]string{"DATABASE_URL": "sqlite:./data/app.db"}), nil, &out, io.Discard)
	if err != nil || out.String() != "schema version 7\n" {
		t.Fatalf("migrate up on a fresh clone: %v, printed %q", err, out.String())
	}
}

func TestCreateUserReadsThePasswordFromStdinAndTheUserLogsIn(t *testing.T) {
	dbURL := testdb.SQLiteURL(t)
	vars := env(map[string]string{"DATABASE_URL": dbURL, "PASSWORD_HASHER_ITERATIONS": "1000"})
	var out strings.Builder
	err := run(context.Background(), []string{"createuser", "admin", "admin@example.com"}, vars,
		strings.NewReader("correct horse battery\n"), &out, io.Discard)
	if err != nil || !strings.HasPrefix(out.String(), `created user "admin"`) {
		t.Fatalf("createuser: %v, printed %q", err, out.String())
	}
	db := testdb.Open(t, dbURL)
	var hash string
	if err := db.Get(&hash, "SELECT password FROM auth_user WHERE username = 'admin'"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := password.NewHasher(1000).Check("correct horse battery", hash); !ok {
		t.Fatalf("the stored hash %q does not verify the password given on stdin", hash)
	}
}

func TestCreateUserRefusesWhatRegisterRefuses(t *testing.T) {
	dbURL := testdb.SQLiteURL(t)
	vars := env(map[string]string{"DATABASE_URL": dbURL, "PASSWORD_HASHER_ITERATIONS": "1000"})
	for name, tc := range map[string]struct {
		args  []string
		stdin string
		want  string
	}{
		"a common password":  {[]string{"createuser", "bob"}, "password\n", "password"},
		"no password":        {[]string{"createuser", "bob"}, "", "no password"},
		"a bad username":     {[]string{"createuser", "bob smith"}, "correct horse battery\n", "username"},
		"no username at all": {[]string{"createuser"}, "x\n", "createuser NAME"},
	} {
		t.Run(name, func(t *testing.T) {
			err := run(context.Background(), tc.args, vars, strings.NewReader(tc.stdin), io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("createuser: %v, want an error about %s", err, tc.want)
			}
		})
	}
}
