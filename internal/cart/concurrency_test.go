package cart_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/djsessions/api/internal/apitest"
	"github.com/djsessions/api/internal/testdb"
)

// concurrent is how many requests of one session run at once.
const concurrent = 40

// TestConcurrentChangesAreNotLost sends the requests of one session to two
// API servers on one database at once, as two processes behind a load
// balancer would get them: each change must land, none overwriting another.
func TestConcurrentChangesAreNotLost(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		url := newURL(t)
		apps := []*apitest.App{
			apitest.New(t, apitest.Options{DatabaseURL: url}),
			apitest.New(t, apitest.Options{DatabaseURL: url}),
		}

		// shared starts a session (with something else in it, which must
		// survive too) and returns its key.
		shared := func(t *testing.T) string {
			t.Helper()
			b := apps[0].Browser()
			b.Put("/api/session/preferences", map[string]string{"theme": "dark"}).Want(t, http.StatusOK)
			return b.SessionKey()
		}
		// all sends body to POST /api/cart/items concurrent times at once,
		// alternating between the servers, each time from a new client
		// presenting key; body(i) is the i-th request's.
		all := func(t *testing.T, key string, body func(i int) addition) {
			t.Helper()
			res := make([]*apitest.Response, concurrent)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range concurrent {
				cl := apps[i%len(apps)].Browser()
				cl.Header.Set("Cookie", "sessionid="+key)
				wg.Go(func() {
					<-start
					res[i] = cl.Post(itemsPath, body(i))
				})
			}
			close(start)
			wg.Wait()
			for i, r := range res {
				if r == nil || r.StatusCode != http.StatusOK {
					t.Fatalf("request %d of %d did not answer 200: %+v", i, concurrent, r)
				}
			}
		}
		// reread returns the cart of key through the other server.
		reread := func(t *testing.T, key string) view {
			t.Helper()
			cl := apps[1].Browser()
			cl.Header.Set("Cookie", "sessionid="+key)
			return cartOf(t, cl)
		}
		wantPrefsKept := func(t *testing.T, key string) {
			t.Helper()
			cl := apps[0].Browser()
			cl.Header.Set("Cookie", "sessionid="+key)
			if p := decode[map[string]string](t, cl.Get("/api/session/preferences").Want(t, http.StatusOK)); p["theme"] != "dark" {
				t.Fatalf("preferences %v, want theme dark kept", p)
			}
		}

		t.Run("40 additions of one product make a quantity of 40", func(t *testing.T) {
			key := shared(t)
			all(t, key, func(int) addition { return addition{ProductID: espresso.ID, Quantity: 1} })
			wantLines(t, reread(t, key), [2]int64{espresso.ID, concurrent})
			wantPrefsKept(t, key)
		})

		t.Run("40 additions of different products make 40 lines", func(t *testing.T) {
			ids := seedProducts(t, apps[0], concurrent, "1.00")
			key := shared(t)
			all(t, key, func(i int) addition { return addition{ProductID: ids[i], Quantity: 1} })
			got := reread(t, key)
			if len(got.Items) != concurrent || got.TotalPrice != "40.00" {
				t.Fatalf("%d lines, total_price %s; want %d lines, 40.00", len(got.Items), got.TotalPrice, concurrent)
			}
			wantPrefsKept(t, key)
		})
	})
}
