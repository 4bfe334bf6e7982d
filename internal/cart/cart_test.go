package cart_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/djsessions/api/internal/apitest"
	"github.com/djsessions/api/internal/session"
)

func TestCart(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, app *apitest.App, clk *apitest.Clock) {
		t.Run("a client without a session has an empty cart, and reading it creates none", func(t *testing.T) {
			count := app.CountStored(t)
			res := app.Browser().Get(cartPath).Want(t, http.StatusOK)
			if string(res.Body) != `{"items":[],"total_items":0,"total_price":"0.00"}`+"\n" {
				t.Fatalf("body %s, want the empty cart", res.Body)
			}
			res.WantNoCookie(t)
			if n := app.CountStored(t); n != count {
				t.Fatalf("%d sessions stored after a read, want %d", n, count)
			}
		})

		t.Run("the first addition creates the session; the cart has the product's details and totals", func(t *testing.T) {
			b := app.Browser()
			res := b.Post(itemsPath, addition{ProductID: espresso.ID, Quantity: 2}).Want(t, http.StatusOK)

			if !session.ValidKey(res.SessionCookie(t).Value) {
				t.Fatalf("the first addition set no session cookie")
			}
			got := decode[view](t, res)
			want := view{
				Items:      []item{{Product: espresso, Quantity: 2, LineTotal: "599.98", AddedAt: clk.Now()}},
				TotalItems: 2, TotalPrice: "599.98",
			}
			if len(got.Items) != 1 || got.Items[0] != want.Items[0] || got.TotalItems != 2 || got.TotalPrice != want.TotalPrice {
				t.Fatalf("cart %+v, want %+v", got, want)
			}
			if again := cartOf(t, b); len(again.Items) != 1 || again.Items[0] != want.Items[0] {
				t.Fatalf("GET answers %+v after the addition, want %+v", again, want)
			}
		})

		t.Run("a quantity left out adds one; adding again adds to the line and keeps when it was added", func(t *testing.T) {
			b := app.Browser()
			res := b.Post(itemsPath, map[string]int64{"product_id": jug.ID}).Want(t, http.StatusOK)
			wantLines(t, decode[view](t, res), [2]int64{jug.ID, 1})
			first := clk.Now()
			clk.Advance(time.Minute)

			got := add(t, b, jug.ID, 4)

			wantLines(t, got, [2]int64{jug.ID, 5})
			if it := got.Items[0]; !it.AddedAt.Equal(first) || it.LineTotal != "124.50" {
				t.Fatalf("line %+v, want added_at %s and line_total 124.50", it, first)
			}
		})

		t.Run("lines are listed oldest first; totals add up to the cent", func(t *testing.T) {
			b := app.Browser()
			add(t, b, brush.ID, 3) // 15.00
			clk.Advance(time.Second)
			add(t, b, jug.ID, 7) // 174.30
			clk.Advance(time.Second)
			got := add(t, b, grinder.ID, 1) // 149.50

			wantLines(t, got, [2]int64{brush.ID, 3}, [2]int64{jug.ID, 7}, [2]int64{grinder.ID, 1})
			if got.TotalPrice != "338.80" {
				t.Fatalf("total_price %s, want 338.80", got.TotalPrice)
			}
		})

		t.Run("a mobile client keeps its cart under X-Session-Key", func(t *testing.T) {
			m := app.Mobile()
			res := m.Post(itemsPath, addition{ProductID: grinder.ID}).Want(t, http.StatusOK)
			if !session.ValidKey(res.Header.Get(session.HeaderKey)) {
				t.Fatalf("X-Session-Key %q, want the new session's key", res.Header.Get(session.HeaderKey))
			}
			res.WantNoCookie(t)
			wantLines(t, cartOf(t, m), [2]int64{grinder.ID, 1})
		})

		t.Run("PUT sets the quantity; 0 removes the line", func(t *testing.T) {
			b := app.Browser()
			add(t, b, espresso.ID, 1)
			add(t, b, brush.ID, 1)

			got := decode[view](t, b.Put(linePath(brush.ID), map[string]int{"quantity": 999}).Want(t, http.StatusOK))
			wantLines(t, got, [2]int64{espresso.ID, 1}, [2]int64{brush.ID, 999})
			if got.TotalPrice != "5294.99" {
				t.Fatalf("total_price %s, want 5294.99", got.TotalPrice)
			}

			got = decode[view](t, b.Put(linePath(espresso.ID), map[string]int{"quantity": 0}).Want(t, http.StatusOK))
			wantLines(t, got, [2]int64{brush.ID, 999})
			wantLines(t, cartOf(t, b), [2]int64{brush.ID, 999})
		})

		t.Run("DELETE of a line removes it; the last one gone, the session has no cart", func(t *testing.T) {
			b := app.Browser()
			add(t, b, espresso.ID, 1)
			add(t, b, jug.ID, 2)

			wantLines(t, decode[view](t, b.Delete(linePath(espresso.ID)).Want(t, http.StatusOK)), [2]int64{jug.ID, 2})
			wantLines(t, decode[view](t, b.Delete(linePath(jug.ID)).Want(t, http.StatusOK)))
			if lines := storedLines(t, app, b.SessionKey()); len(lines) != 0 {
				t.Fatalf("the session still holds a cart %v", lines)
			}
		})

		t.Run("DELETE /api/cart empties the cart and keeps the rest of the session", func(t *testing.T) {
			b := app.Browser()
			b.Put("/api/session/preferences", map[string]string{"theme": "dark"}).Want(t, http.StatusOK)
			add(t, b, espresso.ID, 1)
			add(t, b, jug.ID, 2)

			wantLines(t, decode[view](t, b.Delete(cartPath).Want(t, http.StatusOK)))

			wantLines(t, cartOf(t, b))
			prefs := decode[map[string]string](t, b.Get("/api/session/preferences").Want(t, http.StatusOK))
			if prefs["theme"] != "dark" {
				t.Fatalf("preferences %v after emptying the cart, want theme dark kept", prefs)
			}
		})

		t.Run("DELETE /api/cart without a session answers the empty cart and creates none", func(t *testing.T) {
			count := app.CountStored(t)
			res := app.Browser().Delete(cartPath).Want(t, http.StatusOK)
			wantLines(t, decode[view](t, res))
			res.WantNoCookie(t)
			if n := app.CountStored(t); n != count {
				t.Fatalf("%d sessions stored, want %d", n, count)
			}
		})

		t.Run("reading the cart writes nothing", func(t *testing.T) {
			b := app.Browser()
			add(t, b, espresso.ID, 1)
			before := mustStored(t, app, b.SessionKey())
			clk.Advance(time.Minute) // a save now would move the stored expiry and re-sign the data

			res := b.Get(cartPath).Want(t, http.StatusOK)

			wantLines(t, decode[view](t, res), [2]int64{espresso.ID, 1})
			res.WantNoCookie(t)
			app.WantStoredUnchanged(t, b.SessionKey(), before)
		})

		for _, gone := range []struct{ how, query string }{
			{"deactivated", "UPDATE products SET active = false WHERE id = ?"},
			{"deleted", "DELETE FROM products WHERE id = ?"},
		} {
			t.Run("a line whose product was "+gone.how+" is dropped when the cart is read, and from the session", func(t *testing.T) {
				b := app.Browser()
				ids := seedProducts(t, app, 2, "10.00")
				add(t, b, ids[0], 1)
				add(t, b, ids[1], 2)
				exec(t, app, gone.query, ids[1])

				got := cartOf(t, b)

				wantLines(t, got, [2]int64{ids[0], 1})
				if got.TotalPrice != "10.00" {
					t.Fatalf("total_price %s, want 10.00", got.TotalPrice)
				}
				if lines := storedLines(t, app, b.SessionKey()); len(lines) != 1 {
					t.Fatalf("the session holds %v, want only product %d", lines, ids[0])
				}
			})

			t.Run("a line whose product was "+gone.how+" is dropped by the next change, in the same write", func(t *testing.T) {
				b := app.Browser()
				ids := seedProducts(t, app, 2, "10.00")
				add(t, b, ids[0], 1)
				exec(t, app, gone.query, ids[0])

				got := add(t, b, ids[1], 1)

				wantLines(t, got, [2]int64{ids[1], 1})
				if lines := storedLines(t, app, b.SessionKey()); len(lines) != 1 {
					t.Fatalf("the session holds %v, want only product %d", lines, ids[1])
				}
			})
		}

		t.Run("a product put back on sale does not come back to a cart that dropped it", func(t *testing.T) {
			b := app.Browser()
			ids := seedProducts(t, app, 1, "1.00")
			add(t, b, ids[0], 1)
			exec(t, app, "UPDATE products SET active = false WHERE id = ?", ids[0])
			wantLines(t, cartOf(t, b))
			exec(t, app, "UPDATE products SET active = true WHERE id = ?", ids[0])
			wantLines(t, cartOf(t, b))
		})

		t.Run("a price change shows in the cart at once", func(t *testing.T) {
			b := app.Browser()
			ids := seedProducts(t, app, 1, "1.00")
			add(t, b, ids[0], 3)
			exec(t, app, "UPDATE products SET price = ? WHERE id = ?", "2.50", ids[0])
			if got := cartOf(t, b); got.TotalPrice != "7.50" || got.Items[0].Product.Price != "2.50" {
				t.Fatalf("cart %+v, want the new price 2.50 and a total of 7.50", got)
			}
		})

		t.Run("logging out ends the cart with the session", func(t *testing.T) {
			b := app.Browser()
			add(t, b, espresso.ID, 1)
			b.Post("/api/auth/logout", nil).Want(t, http.StatusNoContent)
			wantLines(t, cartOf(t, b))
		})
	})
}
