package main

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/djsessions/api/internal/apitest"
	"github.com/djsessions/api/internal/session/redisstore"
	"github.com/djsessions/api/internal/testdb"
	"github.com/djsessions/api/internal/testredis"
)

// testSessions is how many sessions each test weighs: enough for min and
// max to mean something, few enough to take a second.
const testSessions = 6

// onEngine starts the API on engine, on Redis at redisURL for the engines
// that use it (testredis's own when ""), and returns it with its stores.
func onEngine(t *testing.T, engine, redisURL string) (*apitest.App, stores) {
	t.Helper()
	var rdb redis.UniversalClient
	var prefix string
	if redisURL == "" {
		redisURL, rdb = testredis.URL(), testredis.Client(t)
		prefix = testredis.Prefix(t, rdb)
	} else {
		c, err := redisstore.NewClient(redisURL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		rdb, prefix = c, "capacity:"
	}
	app := apitest.New(t, apitest.Options{
		DatabaseURL: testdb.PostgresURL(t), Engine: engine,
		CacheURL: redisURL, CachePrefix: prefix,
	})
	return app, stores{db: app.DB, redis: rdb, prefix: prefix, dir: app.SessionDir(), filePrefix: "sessionid"}
}

func testPlan(engine string) plan {
	return plan{engine: engine, sessions: testSessions, workers: 2, runID: "t", password: "Capacity-plan-passw0rd", secretKey: apitest.SecretKey}
}

// wantWeighed checks a result row by row: exactly the measures named, each
// one weighed on every session in a range a logged-in session with ten cart
// lines can have. Its signed data is some 450 bytes; no store keeps it in
// fewer than 200, nor needs more than 4 KiB a session for it. A store's
// growth over a few sessions is only checked to be there: a page or a
// buffer more or less outweighs them (TestTheTableGrowsByAboutARowASession
// checks it over many).
func wantWeighed(t *testing.T, res result, measures ...string) {
	t.Helper()
	var table strings.Builder
	res.print(&table)
	t.Log("\n" + table.String())
	if res.verified != testSessions {
		t.Errorf("the cart's %d lines were found in the stored data of %d sessions, want all %d", cartLines, res.verified, testSessions)
	}
	got := map[string]row{}
	for _, r := range res.rows {
		got[strings.TrimSpace(r.name)] = r
	}
	for _, name := range measures {
		r, ok := got[name]
		switch {
		case !ok:
			t.Errorf("no measure %q in %v", name, res.rows)
		case r.perSession && (r.min < 200 || r.max > 4096):
			t.Errorf("%s: %d to %d bytes a session, want 200 to 4096", name, r.min, r.max)
		}
	}
	if len(got) != len(measures) {
		t.Errorf("measures %v, want exactly %v", res.rows, measures)
	}
}

func TestEachEngineIsWeighedInTheStoresItKeepsSessionsIn(t *testing.T) {
	cases := []struct {
		engine   string
		measures []string
	}{
		{"db", []string{"PostgreSQL row", "of which session_data", "PostgreSQL table+indexes growth", "PostgreSQL packed table+indexes"}},
		{"cached_db", []string{"PostgreSQL row", "of which session_data", "PostgreSQL table+indexes growth", "PostgreSQL packed table+indexes", "Redis copy", "Redis used_memory growth"}},
		{"cache", []string{"Redis data key", "Redis meta hash", "Redis user set", "Redis keys, sum", "Redis used_memory growth"}},
		{"file", []string{"file size", "file allocated", "directory growth"}},
		{"signed_cookies", []string{"cookie value"}},
	}
	for _, c := range cases {
		t.Run(c.engine, func(t *testing.T) {
			t.Parallel()
			app, st := onEngine(t, c.engine, "")
			res, err := measure(context.Background(), http.DefaultClient, app.URL, st, testPlan(c.engine))
			if err != nil {
				t.Fatal(err)
			}
			wantWeighed(t, res, c.measures...)
		})
	}
}

func TestOnARedisClusterEachSessionIsWeighedOnTheMasterOfItsSlot(t *testing.T) {
	cluster := testredis.StartCluster(t)
	cases := []struct {
		engine   string
		measures []string
	}{
		{"cache", []string{"Redis data key", "Redis meta hash", "Redis user set", "Redis keys, sum", "Redis used_memory growth"}},
		{"cached_db", []string{"PostgreSQL row", "of which session_data", "PostgreSQL table+indexes growth", "PostgreSQL packed table+indexes", "Redis copy", "Redis used_memory growth"}},
	}
	for _, c := range cases {
		t.Run(c.engine, func(t *testing.T) {
			app, st := onEngine(t, c.engine, cluster.URL())
			res, err := measure(context.Background(), http.DefaultClient, app.URL, st, testPlan(c.engine))
			if err != nil {
				t.Fatal(err)
			}
			wantWeighed(t, res, c.measures...)
		})
	}
}

func TestTheTableGrowsByAboutARowASessionAndPacksIntoLess(t *testing.T) {
	app, st := onEngine(t, "db", "")
	p := testPlan("db")
	p.sessions = 200
	res, err := measure(context.Background(), http.DefaultClient, app.URL, st, p)
	if err != nil {
		t.Fatal(err)
	}
	var rowSize, grown, packed float64
	for _, r := range res.rows {
		switch r.name {
		case "PostgreSQL row":
			rowSize = r.mean
		case "PostgreSQL table+indexes growth":
			grown = r.mean
		case "PostgreSQL packed table+indexes":
			packed = r.mean
		}
	}
	t.Logf("rows of %.0f bytes; django_session grew by %.0f bytes a session, %.0f packed", rowSize, grown, packed)
	// Packed, a session is its row, a line pointer and four index
	// entries, with the pages' headers and the indexes' first pages.
	if packed < rowSize || packed > 3*rowSize {
		t.Errorf("packed, a session took %.0f bytes, with rows of %.0f; want between one and three rows", packed, rowSize)
	}
	// At least the row; at most the row with its four index entries and
	// the dead versions that eleven writes (a login, ten cart lines) left
	// before vacuum, each about a row.
	if grown < rowSize || grown > 12*rowSize {
		t.Errorf("django_session grew by %.0f bytes a session, with rows of %.0f; want between one and twelve rows", grown, rowSize)
	}
}

func TestWeighingAnotherEngineThanTheAPIRunsFailsRatherThanReportNothing(t *testing.T) {
	app, st := onEngine(t, "cache", "")
	if _, err := measure(context.Background(), http.DefaultClient, app.URL, st, testPlan("db")); err == nil || !strings.Contains(err.Error(), "db engine") {
		t.Fatalf("measuring db against an API on cache: %v, want an error naming the engine", err)
	}
}

func TestClearsessionsIsTimedOnExpiredSessionsAndLeavesTheLiveOnes(t *testing.T) {
	app, st := onEngine(t, "db", "")
	ctx := context.Background()
	res, err := measure(ctx, http.DefaultClient, app.URL, st, testPlan("db"))
	if err != nil {
		t.Fatal(err)
	}
	count := func() int {
		t.Helper()
		var n int
		if err := app.DB.Get(&n, `SELECT count(*) FROM django_session`); err != nil {
			t.Fatal(err)
		}
		return n
	}
	live := count()
	cl, err := timeClear(ctx, app.DB, 2500, res.sample, inProcessClearer(app.DB))
	if err != nil {
		t.Fatal(err)
	}
	if cl.deleted != 2500 || cl.elapsed <= 0 || cl.dataBytes != len(res.sample) {
		t.Fatalf("clearsessions deleted %d of 2500 seeded in %v, data %d bytes (sample %d)", cl.deleted, cl.elapsed, cl.dataBytes, len(res.sample))
	}
	if left := count(); left != live {
		t.Fatalf("%d sessions left after clearsessions, want the %d live ones", left, live)
	}
}
