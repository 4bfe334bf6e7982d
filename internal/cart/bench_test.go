package cart_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/djsessions/api/internal/apitest"
)

// BenchmarkCart measures what the no-lost-updates mechanism costs, through
// the real router on PostgreSQL, for a session holding a cart of three lines:
//
//   - GET /api/cart, the read path: a session load and one products query,
//     no lock and no store write (checked after the loop);
//   - POST /api/session/visit, for comparison: a write that the middleware
//     saves (replaying its changes on the stored data, under the same lock);
//   - POST /api/cart/items, the write path: a session load, a products
//     query, then Session.Update (a transaction that locks the row, reads
//     it fresh and saves it).
//
// The requests bypass apitest's client, whose check against openapi.yaml
// would cost more than what is measured.
func BenchmarkCart(b *testing.B) {
	app := apitest.New(b, apitest.Options{})
	browser := app.Browser()
	for _, p := range []product{espresso, jug, brush} {
		add(b, browser, p.ID, 1)
	}
	key := browser.SessionKey()
	hc := &http.Client{}
	send := func(method, path, body string) {
		req, err := http.NewRequest(method, app.URL+path, strings.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Cookie", "sessionid="+key)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			b.Fatalf("%s %s: %d", method, path, res.StatusCode)
		}
	}

	b.Run("read/GET-cart", func(b *testing.B) {
		before := mustStored(b, app, key)
		for b.Loop() {
			send(http.MethodGet, cartPath, "")
		}
		app.WantStoredUnchanged(b, key, before)
	})

	b.Run("write/POST-session-visit", func(b *testing.B) {
		for b.Loop() {
			send(http.MethodPost, "/api/session/visit", "")
		}
	})

	b.Run("write/POST-cart-items", func(b *testing.B) {
		send(http.MethodPut, linePath(brush.ID), `{"quantity":1}`) // as -count runs it again
		n := 0
		for b.Loop() {
			if n++; n%900 == 0 {
				// The line nears its 999: start it again, off the clock.
				b.StopTimer()
				send(http.MethodPut, linePath(brush.ID), `{"quantity":1}`)
				b.StartTimer()
			}
			send(http.MethodPost, itemsPath, `{"product_id":8}`)
		}
	})
}
