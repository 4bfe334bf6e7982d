package cart_test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/djsessions/api/internal/apitest"
	"github.com/djsessions/api/internal/testdb"
)

func TestProducts(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, app *apitest.App, _ *apitest.Clock) {
		t.Run("a fresh database has the seeded catalog, prices as decimal strings", func(t *testing.T) {
			res := app.Browser().Get(productsPath).Want(t, http.StatusOK)
			got := decode[[]product](t, res)
			want := []product{espresso, grinder, jug,
				{4, "Ceramic cup, set of 4", "39.00"},
				{5, "Coffee beans, 1 kg", "18.75"},
				{6, "Descaling tablets", "9.99"},
				{7, "Tamper", "29.00"},
				brush,
			}
			if len(got) != len(want) {
				t.Fatalf("%d products %v, want %v", len(got), got, want)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("product %d is %+v, want %+v", i, got[i], want[i])
				}
			}
			if !bytes.Contains(res.Body, []byte(`"price":"5.00"`)) {
				t.Fatalf("body %s, want the trailing zeros of 5.00 kept", res.Body)
			}
			res.WantNoCookie(t)
		})

		t.Run("a product not on sale is not listed; one added is, with its exact price", func(t *testing.T) {
			ids := seedProducts(t, app, 2, "0.10")
			exec(t, app, "UPDATE products SET active = false WHERE id = ?", ids[0])

			got := decode[[]product](t, app.Browser().Get(productsPath).Want(t, http.StatusOK))

			for _, p := range got {
				if p.ID == ids[0] {
					t.Fatalf("the inactive product %d is listed", ids[0])
				}
			}
			if last := got[len(got)-1]; last.ID != ids[1] || last.Price != "0.10" {
				t.Fatalf("last product %+v, want %d at 0.10", last, ids[1])
			}
		})
	})
}

func TestProductPricesOnSQLiteStayExactText(t *testing.T) {
	t.Parallel()
	app := apitest.New(t, apitest.Options{DatabaseURL: testdb.SQLiteURL(t)})
	for _, bad := range []any{"12.5", "-1.00", "1.2.34", "abc", "123456789.00", 12.5} {
		if _, err := app.DB.Exec("INSERT INTO products (name, price) VALUES ('x', ?)", bad); err == nil {
			t.Errorf("price %#v was accepted; want the CHECK to refuse what numeric(10,2) would not print", bad)
		}
	}
	var typ string
	if err := app.DB.Get(&typ, "SELECT typeof(price) FROM products WHERE id = 1"); err != nil || typ != "text" {
		t.Fatalf("typeof(price) = %q, %v; want text, never real", typ, err)
	}
}
