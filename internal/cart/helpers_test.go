package cart_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/djsessions/api/internal/apitest"
	"github.com/djsessions/api/internal/testdb"
)

// The bodies, as the contract spells them. Prices and totals decode into
// strings, so that a JSON number there fails the test.
type (
	product struct {
		ID    int64  `json:"id"`
		Name  string `json:"name"`
		Price string `json:"price"`
	}
	item struct {
		Product   product   `json:"product"`
		Quantity  int       `json:"quantity"`
		LineTotal string    `json:"line_total"`
		AddedAt   time.Time `json:"added_at"`
	}
	view struct {
		Items      []item `json:"items"`
		TotalItems int    `json:"total_items"`
		TotalPrice string `json:"total_price"`
	}
	addition struct {
		ProductID int64 `json:"product_id"`
		Quantity  int   `json:"quantity,omitempty"`
	}
)

// The seeded catalog, as migration 000005 writes it.
var (
	espresso = product{1, "Espresso machine", "299.99"}
	grinder  = product{2, "Burr coffee grinder", "149.50"}
	jug      = product{3, "Milk frothing jug", "24.90"}
	brush    = product{8, "Cleaning brush", "5.00"}
)

const (
	productsPath = "/api/products"
	cartPath     = "/api/cart"
	itemsPath    = "/api/cart/items"
)

func linePath(id int64) string { return itemsPath + "/" + strconv.FormatInt(id, 10) }

// eachDB runs f on a fresh API on each supported database, with a clock of
// its own that starts now, to the second.
func eachDB(t *testing.T, f func(t *testing.T, app *apitest.App, clk *apitest.Clock)) {
	t.Helper()
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		clk := apitest.NewClock()
		app := apitest.New(t, apitest.Options{DatabaseURL: newURL(t), Now: clk.Now})
		f(t, app, clk)
	})
}

func decode[T any](t testing.TB, res *apitest.Response) T {
	t.Helper()
	var v T
	res.JSON(t, &v)
	return v
}

// add adds quantity of id to cl's cart and returns the cart it answers.
func add(t testing.TB, cl *apitest.Client, id int64, quantity int) view {
	t.Helper()
	return decode[view](t, cl.Post(itemsPath, addition{id, quantity}).Want(t, http.StatusOK))
}

// cartOf returns cl's cart.
func cartOf(t testing.TB, cl *apitest.Client) view {
	t.Helper()
	return decode[view](t, cl.Get(cartPath).Want(t, http.StatusOK))
}

// wantLines fails the test unless v holds exactly these product ids with
// these quantities, in this order, with totals that add up.
func wantLines(t testing.TB, v view, want ...[2]int64) {
	t.Helper()
	got := make([][2]int64, len(v.Items))
	total := 0
	for i, it := range v.Items {
		got[i] = [2]int64{it.Product.ID, int64(it.Quantity)}
		total += it.Quantity
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("cart lines (product, quantity) %v, want %v", got, want)
	}
	if v.TotalItems != total {
		t.Fatalf("total_items %d, want %d", v.TotalItems, total)
	}
}

// storedLines returns the product ids in the cart of the session stored
// under key, as the session holds them.
func storedLines(t testing.TB, app *apitest.App, key string) map[string]int {
	t.Helper()
	s, err := app.Sessions.Load(context.Background(), key)
	if err != nil {
		t.Fatalf("loading session: %v", err)
	}
	if s.Key() == "" {
		t.Fatalf("no session is stored under %q", key)
	}
	var stored map[string]struct {
		Quantity int `json:"quantity"`
	}
	if _, err := s.Get("cart", &stored); err != nil {
		t.Fatalf("the session's cart: %v", err)
	}
	lines := map[string]int{}
	for id, l := range stored {
		lines[id] = l.Quantity
	}
	return lines
}

// seedProducts adds n products on sale at price and returns their ids.
func seedProducts(t testing.TB, app *apitest.App, n int, price string) []int64 {
	t.Helper()
	ids := make([]int64, n)
	q := app.DB.Rebind("INSERT INTO products (name, price, active) VALUES (?, ?, true) RETURNING id")
	for i := range ids {
		if err := app.DB.Get(&ids[i], q, fmt.Sprintf("Test product %d", i), price); err != nil {
			t.Fatalf("seeding products: %v", err)
		}
	}
	return ids
}

func exec(t testing.TB, app *apitest.App, query string, args ...any) {
	t.Helper()
	if _, err := app.DB.Exec(app.DB.Rebind(query), args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// mustStored is what the engine stores under key, which must exist.
func mustStored(t testing.TB, app *apitest.App, key string) apitest.Stored {
	t.Helper()
	r, found := app.Stored(t, key)
	if !found {
		t.Fatalf("nothing stored under the client's key %q", key)
	}
	return r
}

// wantFields checks that an error's fields explain each of want, and
// nothing else.
func wantFields(t testing.TB, fields map[string]string, want ...string) {
	t.Helper()
	for _, f := range want {
		if fields[f] == "" {
			t.Fatalf("fields %v, want %q explained", fields, f)
		}
	}
	if len(fields) != len(want) {
		t.Fatalf("fields %v, want only %q", fields, want)
	}
}
