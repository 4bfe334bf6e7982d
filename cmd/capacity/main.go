// Command capacity weighs sessions for the capacity plan (docs/capacity.md).
// Against a running API and its stores, it makes logged-in sessions with a
// cart of ten lines through the API, as a shopper would, then reads what
// the engine stored for each one behind the API's back: the django_session
// row and the table's growth on PostgreSQL, MEMORY USAGE of the keys and
// used_memory's growth on Redis, the files' sizes and blocks, the cookie's
// length. With -clearsessions N it then seeds N expired sessions of the
// same size and times one clearsessions run.
//
//	go run ./cmd/capacity -target http://127.0.0.1:8000 -engine db \
//	    -database-url postgres://postgres@127.0.0.1:5432/capacity -sessions 1000
//
// It writes users, products (the catalog needs ten) and sessions into the
// API's database: give it a database of its own, never production's.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/djsessions/api/internal/database"
	"github.com/djsessions/api/internal/session/redisstore"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "capacity:", err)
		os.Exit(1)
	}
}

// flags are the command's options.
type flags struct {
	target, databaseURL, redisURL string
	clearBinary                   string
	clearSessions                 int
	plan                          plan
	stores                        stores
}

func parse(args []string, stderr io.Writer) (flags, error) {
	fs := flag.NewFlagSet("capacity", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f flags
	fs.StringVar(&f.target, "target", "http://127.0.0.1:8000", "base URL of the running API")
	fs.StringVar(&f.plan.engine, "engine", "", "the API's SESSION_ENGINE: db, cache, cached_db, file or signed_cookies")
	fs.IntVar(&f.plan.sessions, "sessions", 1000, "logged-in sessions to make")
	fs.IntVar(&f.plan.workers, "workers", 2, "sessions made at once (kept low: this is no load test)")
	fs.DurationVar(&f.plan.linePause, "line-pause", 0, "between two cart lines of a session; 1s or more gives each line a time of its own, as a cart filled over minutes has")
	fs.StringVar(&f.plan.password, "password", "Capacity-plan-passw0rd", "of the users registered")
	fs.StringVar(&f.plan.secretKey, "secret-key", os.Getenv("SECRET_KEY"), "the API's SECRET_KEY, to find the cart in the stored data (empty: not checked)")
	fs.StringVar(&f.databaseURL, "database-url", os.Getenv("DATABASE_URL"), "the API's PostgreSQL database (required)")
	fs.StringVar(&f.redisURL, "redis-url", os.Getenv("SESSION_CACHE_URL"), "the API's SESSION_CACHE_URL, redis:// or redis-cluster:// (cache, cached_db)")
	fs.StringVar(&f.stores.prefix, "key-prefix", redisstore.DefaultPrefix, "the API's SESSION_CACHE_KEY_PREFIX")
	fs.StringVar(&f.stores.dir, "session-dir", os.Getenv("SESSION_FILE_PATH"), "the API's SESSION_FILE_PATH (file)")
	fs.StringVar(&f.stores.filePrefix, "cookie-name", "sessionid", "the API's SESSION_COOKIE_NAME, which begins the session files' names (file)")
	fs.IntVar(&f.clearSessions, "clearsessions", 0, "then seed this many expired sessions and time one clearsessions run (0: no)")
	fs.StringVar(&f.clearBinary, "api-binary", "", "the API binary whose clearsessions is timed (empty: the same code, in process)")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	pg, rd, files := uses(f.plan.engine)
	switch {
	case f.plan.engine != "signed_cookies" && !pg && !rd && !files:
		return f, fmt.Errorf("-engine %q: say db, cache, cached_db, file or signed_cookies", f.plan.engine)
	case !strings.HasPrefix(f.databaseURL, "postgres"):
		return f, errors.New("-database-url must be the API's PostgreSQL database (postgres://…): the catalog, and django_session's sizes, are read there")
	case rd && f.redisURL == "":
		return f, fmt.Errorf("-redis-url is needed for the %s engine", f.plan.engine)
	case files && f.stores.dir == "":
		return f, errors.New("-session-dir is needed for the file engine")
	case f.plan.sessions < 1:
		return f, errors.New("-sessions must be at least 1")
	}
	f.plan.runID = strings.ToLower(rand.Text()[:8])
	return f, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, err := parse(args, stderr)
	if err != nil {
		return err
	}
	db, err := database.Open(ctx, f.databaseURL)
	if err != nil {
		return fmt.Errorf("-database-url: %w", err)
	}
	defer db.Close()
	f.stores.db = db
	if _, rd, _ := uses(f.plan.engine); rd {
		rdb, err := redisstore.NewClient(f.redisURL)
		if err != nil {
			return fmt.Errorf("-redis-url: %w", err)
		}
		defer rdb.Close()
		f.stores.redis = rdb
	}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: f.plan.workers}}
	res, err := measure(ctx, hc, f.target, f.stores, f.plan)
	if err != nil {
		return err
	}
	res.print(stdout)
	if f.clearSessions == 0 {
		return nil
	}
	c := inProcessClearer(db)
	if f.clearBinary != "" {
		c = binaryClearer(f.clearBinary, f.databaseURL, stderr)
	}
	cl, err := timeClear(ctx, db, f.clearSessions, res.sample, c)
	if err != nil {
		return err
	}
	cl.print(stdout)
	return nil
}
