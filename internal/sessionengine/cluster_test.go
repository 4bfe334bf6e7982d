package sessionengine_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/djsessions/api/internal/apitest"
	"github.com/djsessions/api/internal/session/redisstore"
	"github.com/djsessions/api/internal/testredis"
)

// The tests here run the API on a three-master Redis Cluster of their own
// and kill one master: its slots are down, the others' are not.

// onCluster is an API on a cluster of the test's own, with users logged in
// whose sessions are on every master, by the port of their master.
type onCluster struct {
	app      *apitest.App
	cluster  *testredis.Cluster
	byMaster map[string][]*apitest.Client
}

func startOnCluster(t *testing.T, engine string) onCluster {
	t.Helper()
	cluster := testredis.StartCluster(t)
	app := apitest.New(t, apitest.Options{Engine: engine, CacheURL: cluster.URL()})
	rdb, err := redisstore.NewClient(cluster.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	oc := onCluster{app: app, cluster: cluster, byMaster: map[string][]*apitest.Client{}}
	for i := 0; len(oc.byMaster) < 3 || i < 12; i++ {
		if i == 60 {
			t.Fatalf("60 sessions on %d masters, want all three", len(oc.byMaster))
		}
		c := app.Browser()
		loggedIn(t, app, c, "user"+string(rune('a'+i/26))+string(rune('a'+i%26)))
		c.Post("/api/session/visit", nil).Want(t, http.StatusOK)
		// A session's keys carry it as their hash tag: its slot is the key's.
		node, err := rdb.(*redis.ClusterClient).MasterForKey(context.Background(), "{"+c.SessionKey()+"}")
		if err != nil {
			t.Fatal(err)
		}
		_, port, _ := strings.Cut(node.Options().Addr, ":")
		oc.byMaster[port] = append(oc.byMaster[port], c)
	}
	wantReadiness(t, app, http.StatusOK, "ok")
	return oc
}

// wantReadiness checks /readyz's status code and status.
func wantReadiness(t *testing.T, app *apitest.App, code int, status string) {
	t.Helper()
	res := app.Browser().Get("/readyz")
	var got readiness
	res.JSON(t, &got)
	if res.StatusCode != code || got.Status != status {
		t.Fatalf("/readyz: %d %s, want %d and status %q", res.StatusCode, res.Body, code, status)
	}
}

// On cache, Redis is the only store: the sessions on the master that is
// down answer 503 (never an empty session: the client keeps its key), the
// others are served and written as ever, and the process says "degraded",
// not unready, since it serves most requests. Once the master is back
// (empty: it saved nothing) its sessions are gone, the others intact.
func TestCacheOnAClusterWithAMasterDown(t *testing.T) {
	oc := startOnCluster(t, "cache")
	down := oc.cluster.Ports[0]
	oc.cluster.Kill(down)

	for port, clients := range oc.byMaster {
		for _, c := range clients {
			if port == down {
				key := c.SessionKey()
				c.Get("/api/auth/me").WantError(t, http.StatusServiceUnavailable, "unavailable")
				c.Post("/api/session/visit", nil).WantError(t, http.StatusServiceUnavailable, "unavailable")
				if c.SessionKey() != key {
					t.Fatalf("a client of the master that is down lost its key")
				}
				continue
			}
			c.Get("/api/auth/me").Want(t, http.StatusOK)
			if v := decode[visit](t, c.Post("/api/session/visit", nil).Want(t, http.StatusOK)); v.Count != 2 {
				t.Fatalf("visit_count %d on a master that is up, want 2", v.Count)
			}
		}
	}
	wantReadiness(t, oc.app, http.StatusOK, "degraded")

	oc.cluster.Restart(down)
	waitReadiness(t, oc.app, "ok")
	for port, clients := range oc.byMaster {
		for _, c := range clients {
			if port == down {
				c.Get("/api/auth/me").WantError(t, http.StatusUnauthorized, "not_authenticated")
				continue
			}
			if v := decode[visit](t, c.Post("/api/session/visit", nil).Want(t, http.StatusOK)); v.Count != 3 {
				t.Fatalf("visit_count %d after the master came back, want 3", v.Count)
			}
		}
	}
	// New sessions land on every master again.
	loggedIn(t, oc.app, oc.app.Browser(), "after")
}

// On cached_db the database is the truth: with a master down every
// session is served, written and logged out as ever, the process is
// degraded, and once the master is back nothing changed meanwhile is lost
// and no session ended meanwhile comes back from the cache.
func TestCachedDBOnAClusterWithAMasterDown(t *testing.T) {
	oc := startOnCluster(t, "cached_db")
	down := oc.cluster.Ports[0]
	oc.cluster.Kill(down)

	var loggedOut []string
	for _, clients := range oc.byMaster {
		for i, c := range clients {
			c.Get("/api/auth/me").Want(t, http.StatusOK)
			if v := decode[visit](t, c.Post("/api/session/visit", nil).Want(t, http.StatusOK)); v.Count != 2 {
				t.Fatalf("visit_count %d with a master down, want 2", v.Count)
			}
			if i == 0 {
				loggedOut = append(loggedOut, c.SessionKey())
				c.Post("/api/auth/logout", nil).Want(t, http.StatusNoContent)
			}
		}
	}
	wantReadiness(t, oc.app, http.StatusOK, "degraded")

	oc.cluster.Restart(down)
	waitReadiness(t, oc.app, "ok")
	for _, clients := range oc.byMaster {
		for _, c := range clients[1:] {
			if v := decode[visit](t, c.Post("/api/session/visit", nil).Want(t, http.StatusOK)); v.Count != 3 {
				t.Fatalf("visit_count %d after the master came back, want 3", v.Count)
			}
		}
	}
	for _, key := range loggedOut {
		apitest.Transports(oc.app)[1].WithKey(key).Get("/api/auth/me").WantError(t, http.StatusUnauthorized, "not_authenticated")
	}
}

// waitReadiness polls /readyz until its status is status.
func waitReadiness(t *testing.T, app *apitest.App, status string) {
	t.Helper()
	deadline, limited := t.Deadline()
	for {
		res := app.Browser().Get("/readyz")
		var got readiness
		res.JSON(t, &got)
		if got.Status == status {
			return
		}
		if limited && time.Until(deadline) < 10*time.Second {
			t.Fatalf("/readyz never said %q again once the master was back: %s", status, res.Body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
