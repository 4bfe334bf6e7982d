package cart_test

import (
	"net/http"
	"testing"

	"github.com/djsessions/api/internal/apitest"
)

// strongPassword passes every rule of the password policy.
const strongPassword = "quartz-lantern-meadow"

func TestAnonymousCartSurvivesLogin(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, app *apitest.App, _ *apitest.Clock) {
		for _, c := range []struct {
			name string
			new  func() *apitest.Client
		}{{"cookie", app.Browser}, {"header", app.Mobile}} {
			t.Run(c.name, func(t *testing.T) {
				username := "shopper_" + c.name
				app.Browser().Post("/api/auth/register",
					map[string]string{"username": username, "password": strongPassword}).Want(t, http.StatusCreated)
				cl := c.new()
				add(t, cl, espresso.ID, 2)
				add(t, cl, brush.ID, 1)
				before := cl.SessionKey()

				cl.Post("/api/auth/login", map[string]string{"username": username, "password": strongPassword}).Want(t, http.StatusOK)

				if cl.SessionKey() == before {
					t.Fatalf("the login kept the key %q; it must rotate it", before)
				}
				wantLines(t, cartOf(t, cl), [2]int64{espresso.ID, 2}, [2]int64{brush.ID, 1})
				wantLines(t, add(t, cl, brush.ID, 1), [2]int64{espresso.ID, 2}, [2]int64{brush.ID, 2})
			})
		}
	})
}
