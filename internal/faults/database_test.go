package faults_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/djsessions/api/internal/apitest"
	"github.com/djsessions/api/internal/database"
	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/testdb"
	"github.com/djsessions/api/internal/testnet"
)

// shoppers logs n browsers in to the API at base, each as a user of its own.
func shoppers(t testing.TB, base string, n int) []*client {
	t.Helper()
	cs := make([]*client, n)
	for i := range cs {
		cs[i] = newClient(base)
		cs[i].signUp(t, uniqueName("shopper"))
	}
	return cs
}

// shop is the load of logged-in shoppers: each in turn adds to its cart,
// reads it, counts a visit and reads its account, so that every kind of
// query the API makes (session loads, locked session updates, products,
// users) runs throughout.
func shop(cs []*client) step {
	return func(w, i int) answer {
		c := cs[w]
		switch i % 4 {
		case 0:
			// Spread over the eight products, so that no line reaches its
			// cap of 999 in a test's few seconds.
			return c.post("/api/cart/items", map[string]int{"product_id": 1 + (i/4)%8, "quantity": 1})
		case 1:
			return c.get("/api/cart")
		case 2:
			return c.post("/api/session/visit", nil)
		default:
			return c.get("/api/auth/me")
		}
	}
}

// probeReadiness is a load of one client asking /readyz every 20 ms.
func probeReadiness(t testing.TB, base, phase string) *load {
	c := newClient(base)
	return startLoad(t, 1, phase, func(_, i int) answer {
		if i > 0 {
			time.Sleep(20 * time.Millisecond) // between requests, not in one
		}
		return c.get("/readyz")
	})
}

// namedDatabase returns a fresh schema's URL whose connections carry
// application_name name, so that the test can find the API's backends
// among everyone's, and the test's own connection to it, under another.
func namedDatabase(t *testing.T, name string) (url string, admin *sqlx.DB) {
	t.Helper()
	url = testdb.PostgresURL(t)
	admin = testdb.Open(t, withParams(t, url, "application_name", name+"_admin"))
	return withParams(t, url, "application_name", name), admin
}

// terminate kills the PostgreSQL backends of application_name name, and
// waits until they are gone; it returns how many there were.
func terminate(t testing.TB, admin *sqlx.DB, name string) int {
	t.Helper()
	var n int
	err := admin.Get(&n, `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000))
		FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()`, name)
	if err != nil {
		t.Fatalf("pg_terminate_backend: %v", err)
	}
	return n
}

func TestRequestsAfterTheAPIsDatabaseConnectionsAreKilledSucceedWithoutARestart(t *testing.T) {
	name := uniqueName("faults_kill")
	url, admin := namedDatabase(t, name)
	app := apitest.New(t, apitest.Options{DatabaseURL: url, Engine: "db"})
	database.SetMaxConns(app.DB, 4)

	cs := shoppers(t, app.URL, 6)
	ready := probeReadiness(t, app.URL, "before")
	l := startLoad(t, len(cs), "before", shop(cs))
	time.Sleep(time.Second)

	l.Phase("killing")
	ready.Phase("killing")
	killed := 0
	for range 3 {
		killed += terminate(t, admin, name)
		time.Sleep(200 * time.Millisecond)
	}
	l.Phase("after")
	ready.Phase("after")
	time.Sleep(1500 * time.Millisecond)
	l.Stop()
	ready.Stop()

	if killed == 0 {
		t.Fatal("the API had no connection to kill")
	}
	t.Logf("killed %d backends", killed)
	l.Only("before", http.StatusOK)
	l.Only("killing", http.StatusOK, http.StatusServiceUnavailable) // only what was in flight
	l.Only("after", http.StatusOK)
	l.Spanning(http.StatusOK, http.StatusServiceUnavailable)
	ready.Only("before", http.StatusOK)
	ready.Within("killing", http.StatusOK, http.StatusServiceUnavailable)
	ready.Only("after", http.StatusOK)
}

func TestAWriteToASessionLockedByAnotherConnectionAnswers503AtTheStoreDeadline(t *testing.T) {
	url, admin := namedDatabase(t, uniqueName("faults_lock"))
	app := apitest.New(t, apitest.Options{DatabaseURL: url, Engine: "db",
		Session: session.Options{StoreTimeout: 300 * time.Millisecond}})
	locked, other := newClient(app.URL), newClient(app.URL)
	add := map[string]int{"product_id": 1, "quantity": 1}
	must(t, locked.post("/api/cart/items", add), http.StatusOK)

	// Another program holds the session's row, as a transaction that never
	// ends would.
	tx := admin.MustBegin()
	defer tx.Rollback()
	if _, err := tx.Exec(`SELECT 1 FROM django_session WHERE session_key = $1 FOR UPDATE`, sessionKey(t, locked)); err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	writes := make([]answer, 10)
	for i := range writes {
		wg.Go(func() { writes[i] = locked.post("/api/cart/items", add) })
	}
	wg.Wait()
	for _, a := range writes {
		if a.status != http.StatusServiceUnavailable || a.code() != "unavailable" {
			t.Fatalf("a write to the locked session: %s, want 503 unavailable", a)
		}
	}
	// Reads take no lock, and other sessions are not held up.
	if n := locked.cartItems(t); n != 1 {
		t.Fatalf("the locked session's cart has %d items, want 1", n)
	}
	must(t, other.post("/api/cart/items", add), http.StatusOK)

	tx.Rollback()
	must(t, locked.post("/api/cart/items", add), http.StatusOK)
	if n := locked.cartItems(t); n != 2 {
		t.Fatalf("after the lock: %d items, want 2 (the refused writes stored nothing)", n)
	}
}

func TestHundredsOfConcurrentRequestsOnASmallPoolAreServedOrShedWith503(t *testing.T) {
	url, _ := namedDatabase(t, uniqueName("faults_pool"))
	app := apitest.New(t, apitest.Options{DatabaseURL: url, Engine: "db",
		Session: session.Options{StoreTimeout: 500 * time.Millisecond}})
	database.SetMaxConns(app.DB, 2)

	const n = 300
	start := make(chan struct{})
	answers := make([]answer, 2*n)
	took := make([]time.Duration, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c := newClient(app.URL)
			<-start
			t0 := time.Now()
			answers[2*i] = c.post("/api/cart/items", map[string]int{"product_id": 1 + i%8, "quantity": 1})
			answers[2*i+1] = c.get("/api/cart")
			took[i] = time.Since(t0)
		})
	}
	close(start)
	wg.Wait()

	counts := map[int]int{}
	var slowest time.Duration
	for i, a := range answers {
		counts[a.status]++
		if a.status != http.StatusOK && (a.status != http.StatusServiceUnavailable || a.code() != "unavailable") {
			t.Errorf("request %d: %s, want 200, or 503 unavailable", i, a)
		}
		slowest = max(slowest, took[i/2])
	}
	t.Logf("%d requests on a pool of 2 connections: %v; the slowest client took %v", 2*n, counts, slowest)
	if counts[http.StatusOK] == 0 {
		t.Fatal("no request was served")
	}
}

func TestReadinessFollowsTheDatabaseThroughAnOutage(t *testing.T) {
	url, _ := namedDatabase(t, uniqueName("faults_net"))
	proxy := testnet.NewProxy(t, hostOf(t, url))
	app := apitest.New(t, apitest.Options{DatabaseURL: withHost(t, url, proxy.Addr()), Engine: "db"})
	database.SetMaxConns(app.DB, 4)

	cs := shoppers(t, app.URL, 4)
	ready := probeReadiness(t, app.URL, "up")
	l := startLoad(t, len(cs), "up", shop(cs))
	phase := func(name string) { l.Phase(name); ready.Phase(name) }
	time.Sleep(time.Second)

	phase("cutting")
	proxy.Down()
	phase("down")
	time.Sleep(1500 * time.Millisecond)

	phase("restoring")
	proxy.Up()
	waitFor(t, 10*time.Second, func() bool { return newClient(app.URL).get("/readyz").status == http.StatusOK })
	phase("recovered")
	time.Sleep(time.Second)
	l.Stop()
	ready.Stop()

	l.Only("up", http.StatusOK)
	l.Only("down", http.StatusServiceUnavailable)
	l.Only("recovered", http.StatusOK)
	l.Within("cutting", http.StatusOK, http.StatusServiceUnavailable)
	l.Within("restoring", http.StatusOK, http.StatusServiceUnavailable)
	l.Spanning(http.StatusOK, http.StatusServiceUnavailable)
	ready.Only("up", http.StatusOK)
	ready.Only("down", http.StatusServiceUnavailable)
	ready.Only("recovered", http.StatusOK)
}

// sessionKey returns the session key in c's cookie jar.
func sessionKey(t testing.TB, c *client) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.base, nil)
	for _, ck := range c.http.Jar.Cookies(req.URL) {
		if ck.Name == "sessionid" {
			return ck.Value
		}
	}
	t.Fatal("the client has no session cookie")
	return ""
}

// waitFor polls ok until it holds, failing the test after d.
func waitFor(t testing.TB, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("still not so after %v", d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
