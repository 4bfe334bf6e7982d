package faults_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/djsessions/api/internal/apitest"
	"github.com/djsessions/api/internal/database"
	"github.com/djsessions/api/internal/testnet"
	"github.com/djsessions/api/internal/testredis"
)

// cachePrefix is SESSION_CACHE_KEY_PREFIX in these tests, on a redis-server
// of the test's own.
const cachePrefix = "faults:"

// redisFault is a way for Redis to fail: the API's URL of it, and how to
// take it away and bring it back.
type redisFault struct {
	name     string
	url      string
	down, up func()
}

// restarted is a redis-server of the test's own, killed and started again:
// it comes back empty, as a Redis that persists nothing does.
func restarted(t *testing.T) (redisFault, *testredis.Server) {
	srv := testredis.StartServer(t)
	return redisFault{"restarted", srv.URL(), srv.Stop, srv.Start}, srv
}

// cut is the network to a redis-server of the test's own, cut and
// restored: Redis comes back with everything it held, stale entries too.
func cut(t *testing.T) (redisFault, *testredis.Server) {
	srv := testredis.StartServer(t)
	p := testnet.NewProxy(t, hostOf(t, srv.URL()))
	return redisFault{"cut", "redis://" + p.Addr() + "/0", p.Down, p.Up}, srv
}

// readiness returns /readyz's status field ("ok", "degraded"), or the
// error code of a 503.
func readiness(t testing.TB, base string) string {
	t.Helper()
	a := newClient(base).get("/readyz")
	if a.status == http.StatusServiceUnavailable {
		return a.code()
	}
	var body struct{ Status string }
	if err := json.Unmarshal(must(t, a, http.StatusOK).body, &body); err != nil {
		t.Fatal(err)
	}
	return body.Status
}

func TestWithRedisDownTheCacheEngineAnswers503AndRecoversWhenItIsBack(t *testing.T) {
	fault, _ := restarted(t)
	app := apitest.New(t, apitest.Options{Engine: "cache", CacheURL: fault.url, CachePrefix: cachePrefix})

	// Anonymous carts: a Redis that restarts empty has lost every session,
	// and the API carries on with new ones.
	cs := make([]*client, 6)
	for i := range cs {
		cs[i] = newClient(app.URL)
	}
	ready := probeReadiness(t, app.URL, "up")
	l := startLoad(t, len(cs), "up", anonymousShop(cs))
	phase := func(name string) { l.Phase(name); ready.Phase(name) }
	time.Sleep(time.Second)

	phase("stopping")
	fault.down()
	phase("down")
	time.Sleep(1500 * time.Millisecond)
	phase("starting")
	fault.up()
	waitFor(t, 10*time.Second, func() bool { return readiness(t, app.URL) == "ok" })
	phase("recovered")
	time.Sleep(time.Second)
	l.Stop()
	ready.Stop()

	l.Only("up", http.StatusOK)
	l.Only("down", http.StatusServiceUnavailable)
	l.Only("recovered", http.StatusOK)
	for _, p := range []string{"stopping", "starting"} {
		l.Within(p, http.StatusOK, http.StatusServiceUnavailable)
	}
	l.Spanning(http.StatusOK, http.StatusServiceUnavailable)
	ready.Only("up", http.StatusOK)
	ready.Only("down", http.StatusServiceUnavailable)
	ready.Only("recovered", http.StatusOK)
}

func TestWithRedisDownTheCachedDBEngineServesFromTheDatabaseAndRecoversItsCache(t *testing.T) {
	for _, newFault := range []func(*testing.T) (redisFault, *testredis.Server){restarted, cut} {
		fault, srv := newFault(t)
		t.Run("redis "+fault.name, func(t *testing.T) {
			url, _ := namedDatabase(t, uniqueName("faults_cdb"))
			app := apitest.New(t, apitest.Options{DatabaseURL: url, Engine: "cached_db",
				CacheURL: fault.url, CachePrefix: cachePrefix})
			database.SetMaxConns(app.DB, 4)
			rdb := redis.NewClient(&redis.Options{Addr: hostOf(t, srv.URL())})
			t.Cleanup(func() { rdb.Close() })

			cs := shoppers(t, app.URL, 6)
			added := make([]atomic.Int64, len(cs)) // cart adds answered 200, by shopper
			shopping := shop(cs)
			ready := probeReadiness(t, app.URL, "up")
			l := startLoad(t, len(cs), "up", func(w, i int) answer {
				a := shopping(w, i)
				if i%4 == 0 && a.status == http.StatusOK {
					added[w].Add(1)
				}
				return a
			})
			phase := func(name string) { l.Phase(name); ready.Phase(name) }
			time.Sleep(time.Second)
			if cached(t, rdb) == 0 {
				t.Fatal("nothing in the cache before the fault")
			}

			phase("stopping")
			fault.down()
			phase("down")
			time.Sleep(500 * time.Millisecond)
			if got := readiness(t, app.URL); got != "degraded" {
				t.Errorf("/readyz with Redis down: %q, want degraded", got)
			}
			time.Sleep(time.Second)
			phase("starting")
			fault.up()
			waitFor(t, 10*time.Second, func() bool { return readiness(t, app.URL) == "ok" })
			phase("recovered")
			time.Sleep(time.Second)
			l.Stop()
			ready.Stop()

			for _, p := range []string{"up", "stopping", "down", "starting", "recovered"} {
				l.Within(p, http.StatusOK)
				ready.Within(p, http.StatusOK)
			}
			l.Spanning(http.StatusOK)
			l.Only("down", http.StatusOK)
			if cached(t, rdb) == 0 {
				t.Error("the cache was not refilled after Redis came back")
			}
			// Nothing acknowledged was lost, and no stale copy is served:
			// each cart holds exactly the adds that were answered 200.
			for w, c := range cs {
				if got, want := c.cartItems(t), int(added[w].Load()); got != want {
					t.Errorf("shopper %d: %d items in the cart, %d adds answered 200", w, got, want)
				}
			}
		})
	}
}

// anonymousShop is the load of shoppers without an account: adds to the
// cart, reads of it, visits.
func anonymousShop(cs []*client) step {
	return func(w, i int) answer {
		c := cs[w]
		switch i % 3 {
		case 0:
			return c.post("/api/cart/items", map[string]int{"product_id": 1 + (i/3)%8, "quantity": 1})
		case 1:
			return c.get("/api/cart")
		default:
			return c.post("/api/session/visit", nil)
		}
	}
}

// cached returns how many sessions the cache holds.
func cached(t testing.TB, rdb *redis.Client) int {
	t.Helper()
	keys, err := rdb.Keys(context.Background(), cachePrefix+"*").Result()
	if err != nil {
		t.Fatalf("reading the cache: %v", err)
	}
	n := 0
	for _, k := range keys {
		if !strings.Contains(k, "readiness-probe") {
			n++
		}
	}
	return n
}
