package djangointerop

import (
	"net/http"
	"testing"
	"time"
)

// djangoSession is the Django site's view of request.session.
type djangoSession struct {
	Key                  string         `json:"key"`
	Data                 map[string]any `json:"data"`
	ExpiryAge            any            `json:"expiry_age"` // a string on Django < 4.1 for a date expiry
	ExpiryDate           string         `json:"expiry_date"`
	ExpireAtBrowserClose bool           `json:"expire_at_browser_close"`
	ExpiryISO            string         `json:"expiry_iso"`
	ExpiryError          string         `json:"expiry_error"`
}

// DjangoSession returns request.session as the Django site reads it.
func (b *browser) DjangoSession(t *testing.T) djangoSession {
	t.Helper()
	var s djangoSession
	b.Django(t, http.MethodGet, "/session", nil).Want(t, http.StatusOK, &s)
	return s
}

// DjangoWrite makes the Django site write request.session: values to set,
// and set_expiry's argument when expiry is given.
func (b *browser) DjangoWrite(t *testing.T, set map[string]any, expiry ...any) *djangoResponse {
	t.Helper()
	req := map[string]any{"set": set}
	if len(expiry) > 0 {
		req["expiry"] = expiry[0]
	}
	res := b.Django(t, http.MethodPost, "/session", req)
	res.Want(t, http.StatusOK, nil)
	return res
}

type visit struct {
	Count   int       `json:"visit_count"`
	Created time.Time `json:"session_created"`
}

func TestSessionValuesWrittenOnOneSideAreReadOnTheOther(t *testing.T) {
	t.Parallel()
	s := beside(t, "db")
	b := s.Browser()

	var v visit
	b.API.Post("/api/session/visit", nil).Want(t, http.StatusOK).JSON(t, &v)
	got := b.DjangoSession(t)
	if got.Data["visit_count"] != 1.0 || got.Data["session_created"] != v.Created.Format(time.RFC3339) {
		t.Fatalf("Django reads %v; want visit_count 1 and session_created %s, as written here", got.Data, v.Created.Format(time.RFC3339))
	}

	b.DjangoWrite(t, map[string]any{"visit_count": 41, "greeting": "Grüße, 東京 🎉"})
	b.API.Post("/api/session/visit", nil).Want(t, http.StatusOK).JSON(t, &v)
	if v.Count != 42 {
		t.Fatalf("POST /api/session/visit after Django set visit_count to 41: %d", v.Count)
	}
	if got := b.DjangoSession(t).Data; got["visit_count"] != 42.0 || got["greeting"] != "Grüße, 東京 🎉" {
		t.Fatalf("Django reads %v after the API's write; want its own greeting kept and visit_count 42", got)
	}

	b.API.Put("/api/session/preferences", map[string]string{"theme": "dark"}).Want(t, http.StatusOK)
	b.DjangoWrite(t, map[string]any{"preferences": map[string]string{"theme": "dark", "language": "fr-CA"}})
	var prefs map[string]string
	b.API.Get("/api/session/preferences").Want(t, http.StatusOK).JSON(t, &prefs)
	if prefs["theme"] != "dark" || prefs["language"] != "fr-CA" {
		t.Fatalf("preferences written by Django, read here: %v", prefs)
	}
}

// cart is GET /api/cart's answer, as far as the test looks.
type cart struct {
	Items []struct {
		Product struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"product"`
		Quantity int `json:"quantity"`
	} `json:"items"`
	TotalItems int    `json:"total_items"`
	TotalPrice string `json:"total_price"`
}

// djangoCart is the Django site's view of the cart in request.session.
type djangoCart struct {
	Items []struct {
		Product *struct {
			ID    int64  `json:"id"`
			Name  string `json:"name"`
			Price string `json:"price"`
		} `json:"product"`
		Quantity int    `json:"quantity"`
		AddedAt  string `json:"added_at"`
	} `json:"items"`
}

func TestTheCartIsSharedBothWays(t *testing.T) {
	t.Parallel()
	s := beside(t, "db")
	b := s.Browser()

	// Two espresso machines (product 1, 299.99) put in the cart here...
	b.API.Post("/api/cart/items", map[string]any{"product_id": 1, "quantity": 2}).Want(t, http.StatusOK)
	var dc djangoCart
	b.Django(t, http.MethodGet, "/cart", nil).Want(t, http.StatusOK, &dc)
	if len(dc.Items) != 1 || dc.Items[0].Product == nil || dc.Items[0].Product.Name != "Espresso machine" ||
		dc.Items[0].Quantity != 2 || dc.Items[0].Product.Price != "299.99" {
		t.Fatalf("the cart written here, read by a Django view: %+v", dc.Items)
	}
	if _, err := time.Parse(time.RFC3339, dc.Items[0].AddedAt); err != nil {
		t.Errorf("added_at as Django reads it: %v", err)
	}

	// ...and a milk jug (product 3, 24.90) added by a Django view.
	b.Django(t, http.MethodPost, "/cart", map[string]any{"product_id": 3, "quantity": 1}).Want(t, http.StatusOK, nil)
	var c cart
	b.API.Get("/api/cart").Want(t, http.StatusOK).JSON(t, &c)
	if len(c.Items) != 2 || c.Items[0].Product.ID != 1 || c.Items[0].Quantity != 2 ||
		c.Items[1].Product.ID != 3 || c.Items[1].Quantity != 1 || c.TotalItems != 3 || c.TotalPrice != "624.88" {
		t.Fatalf("the cart after Django added to it, read here: %+v", c)
	}
}

func TestAnAnonymousCartSurvivesALoginOnTheOtherSide(t *testing.T) {
	t.Parallel()
	s := beside(t, "db")
	s.Register(t, "shopper", pw)

	// Filled here, logged in on Django: Django's login keeps the data of an
	// anonymous session under a new key (cycle_key).
	b := s.Browser()
	b.API.Post("/api/cart/items", map[string]any{"product_id": 2}).Want(t, http.StatusOK)
	before := b.Key()
	b.DjangoLogin(t, "shopper", pw)
	if b.Key() == before {
		t.Fatal("Django's login kept the session key")
	}
	var c cart
	b.API.Get("/api/cart").Want(t, http.StatusOK).JSON(t, &c)
	if c.TotalItems != 1 || !b.APIUser(t).Authenticated {
		t.Fatalf("after the login on Django: cart %+v, logged in here %v", c, b.APIUser(t).Authenticated)
	}

	// Filled on Django, logged in here: the same.
	b = s.Browser()
	b.Django(t, http.MethodPost, "/cart", map[string]any{"product_id": 2, "quantity": 3}).Want(t, http.StatusOK, nil)
	b.APILogin(t, "shopper", pw, false)
	var dc djangoCart
	b.Django(t, http.MethodGet, "/cart", nil).Want(t, http.StatusOK, &dc)
	if len(dc.Items) != 1 || dc.Items[0].Quantity != 3 || !b.DjangoUser(t).Authenticated {
		t.Fatalf("after the login here, Django reads the cart %+v", dc.Items)
	}
}
