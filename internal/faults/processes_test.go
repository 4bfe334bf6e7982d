package faults_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/djsessions/api/internal/testdb"
	"github.com/djsessions/api/internal/testredis"
)

// deployment is three api processes on one database and, for the cache
// engines, one Redis: a deployment behind a load balancer.
type deployment struct {
	env   map[string]string
	db    *sqlx.DB // the test's own connection to the database
	procs []*process
	urls  []string
}

func startDeployment(t *testing.T, engine string, onCluster bool) *deployment {
	t.Helper()
	url := testdb.PostgresURL(t)
	vars := map[string]string{"SESSION_ENGINE": engine, "LOGIN_MAX_FAILURES": "5"}
	switch {
	case onCluster:
		vars["SESSION_CACHE_URL"] = testredis.StartCluster(t).URL()
	case engine == "cache" || engine == "cached_db":
		vars["SESSION_CACHE_URL"] = testredis.StartServer(t).URL()
	}
	d := &deployment{env: processEnv(url, vars), db: testdb.Open(t, url)}
	for range 3 {
		p := startProcess(t, d.env)
		d.procs, d.urls = append(d.procs, p), append(d.urls, p.URL)
	}
	return d
}

func TestThreeProcessesOnOneDatabaseAreOneDeployment(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		engine    string
		onCluster bool // a three-master Redis Cluster rather than one Redis
	}{{"db", false}, {"cached_db", false}, {"cache", false}, {"cached_db", true}, {"cache", true}} {
		engine, name := tc.engine, tc.engine
		if tc.onCluster {
			name += " on a Redis Cluster"
		}
		t.Run(name, func(t *testing.T) {
			d := startDeployment(t, engine, tc.onCluster)
			t.Run("a session goes on from one process to the next", func(t *testing.T) { sessionsGoOn(t, d) })
			t.Run("a logout on one process is seen by all at once", func(t *testing.T) { logoutIsEverywhere(t, d) })
			t.Run("a revoke on one process is seen by all at once", func(t *testing.T) { revokeIsEverywhere(t, d) })
			t.Run("a password change on one process ends the other sessions on all", func(t *testing.T) { passwordChangeIsEverywhere(t, d) })
			t.Run("failed logins are counted across the processes", func(t *testing.T) { throttleIsShared(t, d) })
			t.Run("clearsessions run on the three at once", func(t *testing.T) { clearSessionsAtOnce(t, d, engine != "cache") })
		})
	}
}

func sessionsGoOn(t *testing.T, d *deployment) {
	c := roundRobin(d.urls...)
	c.signUp(t, uniqueName("traveller")) // registered on one, logged in on the next
	adds := 0
	for i := range 9 {
		must(t, c.get("/api/auth/me"), http.StatusOK)
		must(t, c.post("/api/cart/items", map[string]int{"product_id": 1 + i%8, "quantity": 1}), http.StatusOK)
		adds++
	}
	// At once, through each process: nothing lost between them either.
	var wg sync.WaitGroup
	for _, url := range d.urls {
		for range 3 {
			wg.Go(func() {
				for range 5 {
					if a := c.via(url).post("/api/cart/items", map[string]int{"product_id": 3, "quantity": 1}); a.status != http.StatusOK {
						t.Errorf("a concurrent add through %s: %s", url, a)
					}
				}
			})
		}
	}
	wg.Wait()
	adds += 3 * 3 * 5
	for _, url := range d.urls {
		if got := c.via(url).cartItems(t); got != adds {
			t.Fatalf("the cart read through %s holds %d items, want %d", url, got, adds)
		}
	}
}

// mustBeAnonymous fails the test unless key, presented to every process,
// is logged in on none.
func mustBeAnonymous(t *testing.T, d *deployment, key, what string) {
	t.Helper()
	for _, url := range d.urls {
		if a := withKey(url, key).get("/api/auth/me"); a.status != http.StatusUnauthorized {
			t.Errorf("%s, presented to %s: %s, want 401", what, url, a)
		}
	}
}

func logoutIsEverywhere(t *testing.T, d *deployment) {
	c := newClient(d.urls[0])
	c.signUp(t, uniqueName("leaver"))
	key := sessionKey(t, c)
	must(t, c.via(d.urls[1]).post("/api/auth/logout", nil), http.StatusNoContent)
	mustBeAnonymous(t, d, key, "the key of a session logged out on another process")
}

// twoLogins returns two browsers logged in as one new user, on the first
// and the second process, and the user's password.
func twoLogins(t *testing.T, d *deployment, prefix string) (a, b *client, password string) {
	t.Helper()
	username := uniqueName(prefix)
	a = newClient(d.urls[0])
	a.signUp(t, username)
	b = newClient(d.urls[1])
	must(t, b.post("/api/auth/login", map[string]any{"username": username, "password": "correct horse battery"}), http.StatusOK)
	return a, b, "correct horse battery"
}

func revokeIsEverywhere(t *testing.T, d *deployment) {
	a, b, _ := twoLogins(t, d, "revoker")
	var list []struct {
		ID      string `json:"id"`
		Current bool   `json:"current"`
	}
	if err := json.Unmarshal(must(t, a.via(d.urls[2]).get("/api/auth/sessions"), http.StatusOK).body, &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("%d sessions listed, want 2", len(list))
	}
	other := list[0].ID
	if list[0].Current {
		other = list[1].ID
	}
	must(t, a.via(d.urls[2]).delete("/api/auth/sessions/"+other), http.StatusNoContent)
	mustBeAnonymous(t, d, sessionKey(t, b), "a session revoked on another process")
	for _, url := range d.urls {
		must(t, a.via(url).get("/api/auth/me"), http.StatusOK)
	}
}

func passwordChangeIsEverywhere(t *testing.T, d *deployment) {
	a, b, old := twoLogins(t, d, "changer")
	must(t, a.via(d.urls[2]).post("/api/auth/password",
		map[string]string{"old_password": old, "new_password": "another horse, stapled"}), http.StatusNoContent)
	mustBeAnonymous(t, d, sessionKey(t, b), "the other session of a user whose password changed on another process")
	for _, url := range d.urls {
		must(t, a.via(url).get("/api/auth/me"), http.StatusOK)
	}
}

func throttleIsShared(t *testing.T, d *deployment) {
	username := uniqueName("target")
	newClient(d.urls[0]).signUp(t, username)
	attacker := roundRobin(d.urls...)
	var mu sync.Mutex
	counts := map[int]int{}
	var wg sync.WaitGroup
	for range 15 {
		wg.Go(func() {
			a := attacker.post("/api/auth/login", map[string]string{"username": username, "password": "wrong"})
			mu.Lock()
			counts[a.status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if counts[http.StatusUnauthorized] != 5 || counts[http.StatusTooManyRequests] != 10 {
		t.Fatalf("15 wrong passwords at once, 5 to each process: %v, want 5×401 and 10×429 (LOGIN_MAX_FAILURES=5 in all)", counts)
	}
	a := attacker.post("/api/auth/login", map[string]string{"username": username, "password": "correct horse battery"})
	must(t, a, http.StatusTooManyRequests)
}

func clearSessionsAtOnce(t *testing.T, d *deployment, inDatabase bool) {
	live := newClient(d.urls[0])
	live.signUp(t, uniqueName("stayer"))
	if inDatabase {
		// A backlog of 12,000 expired sessions (three batches) among 500
		// live ones that no client holds.
		d.db.MustExec(`INSERT INTO django_session (session_key, session_data, expire_date)
			SELECT md5('expired' || i), 'x', now() - interval '1 minute' FROM generate_series(1, 12000) i`)
		d.db.MustExec(`INSERT INTO django_session (session_key, session_data, expire_date)
			SELECT md5('live' || i), 'x', now() + interval '1 day' FROM generate_series(1, 500) i`)
	}
	var liveBefore int
	if err := d.db.Get(&liveBefore, `SELECT count(*) FROM django_session WHERE expire_date > now()`); err != nil {
		t.Fatal(err)
	}

	outs := make([][]byte, len(d.procs))
	errs := make([]error, len(d.procs))
	var wg sync.WaitGroup
	for i := range d.procs {
		cmd := command(t, d.env, "clearsessions")
		wg.Go(func() { outs[i], errs[i] = cmd.CombinedOutput() })
	}
	wg.Wait()
	for i := range outs {
		if errs[i] != nil {
			t.Errorf("clearsessions %d: %v\n%s", i, errs[i], outs[i])
		}
		t.Logf("clearsessions %d: %s", i, bytes.ReplaceAll(bytes.TrimSpace(outs[i]), []byte("\n"), []byte("; ")))
	}

	var expired, liveAfter int
	if err := d.db.Get(&expired, `SELECT count(*) FROM django_session WHERE expire_date <= now()`); err != nil {
		t.Fatal(err)
	}
	if err := d.db.Get(&liveAfter, `SELECT count(*) FROM django_session WHERE expire_date > now()`); err != nil {
		t.Fatal(err)
	}
	if expired != 0 {
		t.Errorf("%d expired sessions left", expired)
	}
	if liveAfter != liveBefore {
		t.Errorf("%d live sessions after, %d before: clearsessions deleted live ones", liveAfter, liveBefore)
	}
	for _, url := range d.urls {
		must(t, live.via(url).get("/api/auth/me"), http.StatusOK)
	}
}
