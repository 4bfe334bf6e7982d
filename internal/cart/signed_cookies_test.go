package cart_test

import (
	"net/http"
	"testing"

	"github.com/djsessions/api/internal/apitest"
)

// With SESSION_ENGINE=signed_cookies the cart travels in the client's
// cookie (or X-Session-Key); the server stores no session.
func TestCartOnSignedCookies(t *testing.T) {
	t.Parallel()
	app := apitest.New(t, apitest.Options{Engine: "signed_cookies"})
	for _, c := range []struct {
		name string
		new  func() *apitest.Client
	}{{"cookie", app.Browser}, {"header", app.Mobile}} {
		t.Run(c.name, func(t *testing.T) {
			cl := c.new()
			add(t, cl, espresso.ID, 2)
			add(t, cl, brush.ID, 1)
			cl.Put(linePath(brush.ID), map[string]int{"quantity": 5}).Want(t, http.StatusOK)
			wantLines(t, cartOf(t, cl), [2]int64{espresso.ID, 2}, [2]int64{brush.ID, 5})

			wantLines(t, decode[view](t, cl.Delete(linePath(espresso.ID)).Want(t, http.StatusOK)), [2]int64{brush.ID, 5})
			wantLines(t, decode[view](t, cl.Delete(cartPath).Want(t, http.StatusOK)))
			wantLines(t, cartOf(t, cl))
			if n := app.CountStored(t); n != 0 {
				t.Fatalf("%d rows in django_session, want none", n)
			}
		})
	}
}
