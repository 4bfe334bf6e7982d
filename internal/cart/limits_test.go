package cart_test

import (
	"net/http"
	"testing"

	"github.com/djsessions/api/internal/apitest"
)

func TestCartLimits(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, app *apitest.App, _ *apitest.Clock) {
		t.Run("a line holds 999; an addition past that is refused whole", func(t *testing.T) {
			b := app.Browser()
			add(t, b, jug.ID, 500)

			fields := b.Post(itemsPath, addition{jug.ID, 500}).WantError(t, http.StatusBadRequest, "validation_failed")

			wantFields(t, fields, "quantity")
			wantLines(t, cartOf(t, b), [2]int64{jug.ID, 500})
			got := add(t, b, jug.ID, 499)
			wantLines(t, got, [2]int64{jug.ID, 999})
			if got.TotalPrice != "24875.10" {
				t.Fatalf("total_price %s, want 24875.10", got.TotalPrice)
			}
			wantFields(t, b.Post(itemsPath, addition{ProductID: jug.ID}).WantError(t, http.StatusBadRequest, "validation_failed"), "quantity")
			wantLines(t, cartOf(t, b), [2]int64{jug.ID, 999})
		})

		t.Run("999 at once is a full line; PUT goes up to 999 and no further", func(t *testing.T) {
			b := app.Browser()
			wantLines(t, add(t, b, espresso.ID, 999), [2]int64{espresso.ID, 999})
			b.Put(linePath(espresso.ID), map[string]int{"quantity": 1}).Want(t, http.StatusOK)
			wantLines(t, decode[view](t, b.Put(linePath(espresso.ID), map[string]int{"quantity": 999}).Want(t, http.StatusOK)),
				[2]int64{espresso.ID, 999})
			wantFields(t, b.Put(linePath(espresso.ID), map[string]int{"quantity": 1000}).WantError(t, http.StatusBadRequest, "validation_failed"), "quantity")
		})

		t.Run("a cart holds 100 lines; a 101st product is refused, more of one in it is not", func(t *testing.T) {
			ids := seedProducts(t, app, 101, "0.01")
			b := app.Browser()
			for _, id := range ids[:100] {
				add(t, b, id, 1)
			}

			fields := b.Post(itemsPath, addition{ProductID: ids[100]}).WantError(t, http.StatusBadRequest, "validation_failed")

			wantFields(t, fields, "product_id")
			got := add(t, b, ids[0], 2)
			if len(got.Items) != 100 || got.TotalItems != 102 || got.TotalPrice != "1.02" {
				t.Fatalf("%d lines, total_items %d, total_price %s; want 100, 102, 1.02", len(got.Items), got.TotalItems, got.TotalPrice)
			}
			b.Delete(linePath(ids[1])).Want(t, http.StatusOK)
			if got := add(t, b, ids[100], 1); len(got.Items) != 100 {
				t.Fatalf("%d lines after removing one and adding the 101st product, want 100", len(got.Items))
			}
		})

		t.Run("a line whose product went off sale does not count against the 100", func(t *testing.T) {
			ids := seedProducts(t, app, 101, "0.01")
			b := app.Browser()
			for _, id := range ids[:100] {
				add(t, b, id, 1)
			}
			exec(t, app, "UPDATE products SET active = false WHERE id = ?", ids[50])

			got := add(t, b, ids[100], 1)

			if len(got.Items) != 100 {
				t.Fatalf("%d lines, want 100: the 101st product in place of the one off sale", len(got.Items))
			}
			if lines := storedLines(t, app, b.SessionKey()); len(lines) != 100 {
				t.Fatalf("the session holds %d lines, want 100", len(lines))
			}
		})
	})
}
