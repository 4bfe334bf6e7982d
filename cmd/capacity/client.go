package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// headerKey carries the session key for clients without a cookie jar, as
// the API asks scripts and mobile apps to do: what the response says is
// exactly the cookie's value, so one header gives every engine's key (and,
// on signed_cookies, the whole session) without parsing Set-Cookie.
const headerKey = "X-Session-Key"

// client talks to the API as one mobile app: one session, carried in
// X-Session-Key.
type client struct {
	http *http.Client
	base string
	key  string // "new" until the API issues one
}

func newClient(hc *http.Client, base string) *client {
	return &client{http: hc, base: strings.TrimSuffix(base, "/"), key: "new"}
}

// do sends body (nil, or a value sent as JSON) and decodes a 2xx answer into
// out (nil: discarded). Any other status is an error quoting the body.
func (c *client) do(ctx context.Context, method, path string, body, out any) error {
	var r io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set(headerKey, c.key)
	res, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if v, ok := res.Header[http.CanonicalHeaderKey(headerKey)]; ok {
		c.key = v[0]
	}
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: status %d: %s", method, path, res.StatusCode, bytes.TrimSpace(raw))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	return nil
}

// product is a product of the catalog, as GET /api/products lists it.
type product struct {
	ID int64 `json:"id"`
}

// cart is the part of GET /api/cart that the measurement checks.
type cart struct {
	Items []json.RawMessage `json:"items"`
}

// logIn registers username and logs in as them, remembered for 30 days as
// a returning shopper would be, and returns the user's id.
func (c *client) logIn(ctx context.Context, username, password string) (int64, error) {
	if err := c.do(ctx, http.MethodPost, "/api/auth/register", map[string]string{"username": username, "password": password}, nil); err != nil {
		return 0, err
	}
	var login struct {
		User struct {
			ID int64 `json:"id"`
		} `json:"user"`
	}
	err := c.do(ctx, http.MethodPost, "/api/auth/login",
		map[string]any{"username": username, "password": password, "remember_me": true}, &login)
	return login.User.ID, err
}

// fillCart adds one of each product to the cart, a line each, pause apart,
// and returns how many lines the API then reports.
func (c *client) fillCart(ctx context.Context, products []product, pause time.Duration) (int, error) {
	for i, p := range products {
		if i > 0 && pause > 0 {
			select {
			case <-time.After(pause):
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		}
		if err := c.do(ctx, http.MethodPost, "/api/cart/items", map[string]int64{"product_id": p.ID, "quantity": 1}, nil); err != nil {
			return 0, err
		}
	}
	var got cart
	err := c.do(ctx, http.MethodGet, "/api/cart", nil, &got)
	return len(got.Items), err
}
