package cart_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/djsessions/api/internal/apitest"
)

// badRequest is a request the API must refuse without changing the cart.
type badRequest struct {
	name        string
	method      string
	path        string
	body        string
	contentType string // default application/json
	status      int
	code        string
	fields      []string
}

func TestCartRefusals(t *testing.T) {
	t.Parallel()
	const cartLine = "/api/cart/items/1" // the line of espresso, which the cart holds
	var cases []badRequest
	refuseAdd := func(name, body string, status int, code string, fields ...string) {
		cases = append(cases, badRequest{name: "POST: " + name, method: http.MethodPost, path: itemsPath,
			body: body, status: status, code: code, fields: fields})
	}
	refuseSet := func(name, body string, status int, code string, fields ...string) {
		cases = append(cases, badRequest{name: "PUT: " + name, method: http.MethodPut, path: cartLine,
			body: body, status: status, code: code, fields: fields})
	}

	refuseAdd("a quantity that is a string", `{"product_id":1,"quantity":"2"}`, 400, "validation_failed", "quantity")
	refuseAdd("a quantity that is a boolean", `{"product_id":1,"quantity":true}`, 400, "validation_failed", "quantity")
	refuseAdd("a quantity that is an array", `{"product_id":1,"quantity":[2]}`, 400, "validation_failed", "quantity")
	refuseAdd("a fractional quantity", `{"product_id":1,"quantity":1.5}`, 400, "validation_failed", "quantity")
	refuseAdd("a quantity written with a fraction", `{"product_id":1,"quantity":2.0}`, 400, "validation_failed", "quantity")
	refuseAdd("a quantity written with an exponent", `{"product_id":1,"quantity":1e2}`, 400, "validation_failed", "quantity")
	refuseAdd("a negative quantity", `{"product_id":1,"quantity":-1}`, 400, "validation_failed", "quantity")
	refuseAdd("a quantity of zero", `{"product_id":1,"quantity":0}`, 400, "validation_failed", "quantity")
	refuseAdd("a quantity of 1000", `{"product_id":1,"quantity":1000}`, 400, "validation_failed", "quantity")
	refuseAdd("the largest int64 as quantity", `{"product_id":1,"quantity":9223372036854775807}`, 400, "validation_failed", "quantity")
	refuseAdd("a quantity beyond int64", `{"product_id":1,"quantity":99999999999999999999}`, 400, "validation_failed", "quantity")
	refuseAdd("a huge quantity with an exponent", `{"product_id":1,"quantity":1e300}`, 400, "validation_failed", "quantity")
	refuseAdd("no product_id", `{"quantity":1}`, 400, "validation_failed", "product_id")
	refuseAdd("a null product_id", `{"product_id":null}`, 400, "validation_failed", "product_id")
	refuseAdd("a product_id that is a string", `{"product_id":"1"}`, 400, "validation_failed", "product_id")
	refuseAdd("a fractional product_id", `{"product_id":1.5}`, 400, "validation_failed", "product_id")
	refuseAdd("a product_id of zero", `{"product_id":0}`, 400, "validation_failed", "product_id")
	refuseAdd("a negative product_id", `{"product_id":-1}`, 400, "validation_failed", "product_id")
	refuseAdd("both wrong, both named", `{"product_id":0,"quantity":-3}`, 400, "validation_failed", "product_id", "quantity")
	refuseAdd("an unknown field", `{"product_id":1,"qty":2}`, 400, "validation_failed", "qty")
	refuseAdd("a JSON array", `[{"product_id":1}]`, 400, "invalid_json")
	refuseAdd("malformed JSON", `{"product_id":1`, 400, "invalid_json")
	refuseAdd("an empty body", ``, 400, "invalid_json")
	cases = append(cases, badRequest{name: "POST: a body that is not JSON", method: http.MethodPost, path: itemsPath,
		body: "product_id=1", contentType: "application/x-www-form-urlencoded", status: 415, code: "unsupported_media_type"})
	refuseAdd("an unknown product", `{"product_id":999999}`, 404, "not_found")
	refuseAdd("the largest int64 as product_id", `{"product_id":9223372036854775807}`, 404, "not_found")
	refuseAdd("an invalid quantity is named before the product is looked up", `{"product_id":999999,"quantity":0}`, 400, "validation_failed", "quantity")

	refuseSet("no quantity", `{}`, 400, "validation_failed", "quantity")
	refuseSet("a null quantity", `{"quantity":null}`, 400, "validation_failed", "quantity")
	refuseSet("a quantity that is a string", `{"quantity":"3"}`, 400, "validation_failed", "quantity")
	refuseSet("a fractional quantity", `{"quantity":0.5}`, 400, "validation_failed", "quantity")
	refuseSet("a negative quantity", `{"quantity":-1}`, 400, "validation_failed", "quantity")
	refuseSet("a quantity of 1000", `{"quantity":1000}`, 400, "validation_failed", "quantity")
	refuseSet("a quantity beyond int64", `{"quantity":99999999999999999999}`, 400, "validation_failed", "quantity")
	refuseSet("an unknown field", `{"quantity":1,"product_id":2}`, 400, "validation_failed", "product_id")
	refuseSet("malformed JSON", `{"quantity":`, 400, "invalid_json")
	cases = append(cases, badRequest{name: "PUT: a body that is not JSON", method: http.MethodPut, path: cartLine,
		body: "quantity=1", contentType: "text/plain", status: 415, code: "unsupported_media_type"})
	refuseSet("a line not in the cart", `{"quantity":1}`, 404, "not_found")
	refuseSet("a line not in the cart, set to zero", `{"quantity":0}`, 404, "not_found")
	for _, path := range []string{"abc", "0", "-1", "01", "+1", "1.5", "1e3", "99999999999999999999", "%20", "1%00"} {
		cases = append(cases,
			badRequest{name: "PUT: the path's product id " + path, method: http.MethodPut, path: itemsPath + "/" + path,
				body: `{"quantity":1}`, status: 404, code: "not_found"},
			badRequest{name: "DELETE: the path's product id " + path, method: http.MethodDelete, path: itemsPath + "/" + path,
				status: 404, code: "not_found"})
	}
	cases = append(cases, badRequest{name: "DELETE: a line not in the cart", method: http.MethodDelete,
		path: linePath(jug.ID), status: 404, code: "not_found"})

	eachDB(t, func(t *testing.T, app *apitest.App, clk *apitest.Clock) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				b := app.Browser()
				add(t, b, espresso.ID, 2)
				add(t, b, brush.ID, 1)
				if tc.path == cartLine {
					// PUT's 404 cases ask about a line the cart lacks.
					if tc.status == http.StatusNotFound {
						tc.path = linePath(grinder.ID)
					}
				}
				before := mustStored(t, app, b.SessionKey())
				clk.Advance(time.Second)
				if tc.contentType != "" {
					b.Header.Set("Content-Type", tc.contentType)
				}

				var body any
				if tc.method != http.MethodDelete {
					body = tc.body
				}
				res := b.Do(tc.method, tc.path, body)

				fields := res.WantError(t, tc.status, tc.code)
				wantFields(t, fields, tc.fields...)
				if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Fatalf("Content-Type %q, want application/json", ct)
				}
				res.WantNoCookie(t)
				app.WantStoredUnchanged(t, b.SessionKey(), before)
				b.Header.Del("Content-Type")
				wantLines(t, cartOf(t, b), [2]int64{espresso.ID, 2}, [2]int64{brush.ID, 1})
			})
		}

		t.Run("a product not on sale cannot be added", func(t *testing.T) {
			ids := seedProducts(t, app, 1, "1.00")
			exec(t, app, "UPDATE products SET active = false WHERE id = ?", ids[0])
			b := app.Browser()
			b.Post(itemsPath, addition{ProductID: ids[0]}).WantError(t, http.StatusNotFound, "not_found")
			exec(t, app, "DELETE FROM products WHERE id = ?", ids[0])
			b.Post(itemsPath, addition{ProductID: ids[0]}).WantError(t, http.StatusNotFound, "not_found")
		})

		t.Run("a refused first addition creates no session", func(t *testing.T) {
			count := app.CountStored(t)
			for _, body := range []any{addition{ProductID: 999999}, addition{ProductID: espresso.ID, Quantity: 1000}} {
				res := app.Browser().Post(itemsPath, body)
				if res.StatusCode < 400 {
					t.Fatalf("POST %v answered %d", body, res.StatusCode)
				}
				res.WantNoCookie(t)
			}
			if n := app.CountStored(t); n != count {
				t.Fatalf("%d sessions stored, want %d", n, count)
			}
		})

		t.Run("a line whose product went off sale cannot be changed, only read away", func(t *testing.T) {
			b := app.Browser()
			ids := seedProducts(t, app, 1, "1.00")
			add(t, b, ids[0], 1)
			exec(t, app, "UPDATE products SET active = false WHERE id = ?", ids[0])
			b.Put(linePath(ids[0]), map[string]int{"quantity": 2}).WantError(t, http.StatusNotFound, "not_found")
			wantLines(t, cartOf(t, b))
		})
	})
}
