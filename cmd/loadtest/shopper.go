package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"
)

// shopper is one virtual user: a browser whose requests go round the
// targets, one after another.
type shopper struct {
	h         *harness
	transport http.RoundTripper
	site      *url.URL
	client    *http.Client // a new browser for each journey
	next      int          // which target the next request goes to
	username  string       // registered on the first journey
	requests  *atomic.Int64
	tally     tally
}

// journey is one visit. It stops at the first error but in the cart
// additions, whose failures are counted and whose successes are checked.
func (u *shopper) journey(ctx context.Context) {
	u.tally.journeys++
	if err := u.visit(ctx); err != nil {
		u.fail(err)
	}
}

func (u *shopper) fail(err error) {
	u.tally.errors++
	u.tally.problem(err.Error())
}

func (u *shopper) visit(ctx context.Context) error {
	u.client = &http.Client{Transport: u.transport, Jar: newSiteJar(u.site), Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if u.username == "" {
		name := "journey_" + rand.Text()[:12]
		if err := u.send(ctx, http.MethodPost, "/api/auth/register", map[string]string{
			"username": name, "password": u.h.o.password,
		}, http.StatusCreated, nil); err != nil {
			return err
		}
		u.username = name
	}
	if err := u.send(ctx, http.MethodPost, "/api/auth/login", map[string]any{
		"username": u.username, "password": u.h.o.password,
	}, http.StatusOK, nil); err != nil {
		return err
	}
	if err := u.wantLoggedIn(ctx, true, nil); err != nil {
		return err
	}
	if err := u.browse(ctx); err != nil {
		return err
	}
	if err := u.fillCart(ctx); err != nil {
		return err
	}
	cookies := u.client.Jar.Cookies(u.site)
	if err := u.send(ctx, http.MethodPost, "/api/auth/logout", nil, http.StatusNoContent, nil); err != nil {
		return err
	}
	// The cookies held before the logout, presented again: the session they
	// name must be gone on every process, not only forgotten by the browser.
	return u.wantLoggedIn(ctx, false, cookies)
}

// wantLoggedIn checks the session: logged in as the shopper, or not at all.
// With cookies, it presents them instead of the browser's own.
func (u *shopper) wantLoggedIn(ctx context.Context, want bool, cookies []*http.Cookie) error {
	var check struct {
		Authenticated bool `json:"authenticated"`
		User          *struct {
			Username string `json:"username"`
		} `json:"user"`
	}
	req, err := u.request(ctx, http.MethodGet, "/api/auth/session", nil)
	if err != nil {
		return err
	}
	client := u.client
	if cookies != nil {
		client = &http.Client{Transport: u.transport, Timeout: u.client.Timeout}
		for _, c := range cookies {
			req.AddCookie(c)
		}
	}
	if err := u.do(client, req, http.StatusOK, &check); err != nil {
		return err
	}
	switch {
	case want && (!check.Authenticated || check.User == nil || check.User.Username != u.username):
		return fmt.Errorf("GET /api/auth/session on %s after the login: not logged in as %s", req.URL.Host, u.username)
	case !want && check.Authenticated:
		return fmt.Errorf("GET /api/auth/session on %s with the key held before the logout: still logged in", req.URL.Host)
	}
	return nil
}

// browse reads the catalog, the session and the preferences, and changes a
// preference, checking that the next process reads the change.
func (u *shopper) browse(ctx context.Context) error {
	if err := u.send(ctx, http.MethodGet, "/api/products", nil, http.StatusOK, nil); err != nil {
		return err
	}
	if err := u.wantLoggedIn(ctx, true, nil); err != nil {
		return err
	}
	theme := []string{"light", "dark"}[u.tally.journeys%2]
	if err := u.send(ctx, http.MethodPut, "/api/session/preferences", map[string]string{"theme": theme}, http.StatusOK, nil); err != nil {
		return err
	}
	var prefs struct {
		Theme string `json:"theme"`
	}
	if err := u.send(ctx, http.MethodGet, "/api/session/preferences", nil, http.StatusOK, &prefs); err != nil {
		return err
	}
	if prefs.Theme != theme {
		return fmt.Errorf("GET /api/session/preferences: theme %q, want %q, set by the request before", prefs.Theme, theme)
	}
	return nil
}

// fillCart adds -journey-adds products, one of each, going round the
// catalog, then reads the cart: every addition answered 200 must be in it.
func (u *shopper) fillCart(ctx context.Context) error {
	acked := map[int64]int{}
	for i := range u.h.o.journeyAdds {
		p := u.h.products[i%len(u.h.products)]
		err := u.send(ctx, http.MethodPost, "/api/cart/items", map[string]any{"product_id": p, "quantity": 1}, http.StatusOK, nil)
		if err != nil {
			u.fail(err)
			continue
		}
		acked[p]++
		u.tally.acked++
	}
	var cart struct {
		Items []struct {
			Product struct {
				ID int64 `json:"id"`
			} `json:"product"`
			Quantity int `json:"quantity"`
		} `json:"items"`
	}
	if err := u.send(ctx, http.MethodGet, "/api/cart", nil, http.StatusOK, &cart); err != nil {
		return err
	}
	have := map[int64]int{}
	for _, it := range cart.Items {
		have[it.Product.ID] += it.Quantity
	}
	// An addition that failed may still have been applied: only what is
	// missing counts, never what is extra.
	for p, n := range acked {
		u.tally.lost += max(0, n-have[p])
	}
	return nil
}

// send sends a request to the next target and wants status; it decodes the
// answer into dst, if any.
func (u *shopper) send(ctx context.Context, method, path string, body any, status int, dst any) error {
	req, err := u.request(ctx, method, path, body)
	if err != nil {
		return err
	}
	return u.do(u.client, req, status, dst)
}

// request builds a request to the next target.
func (u *shopper) request(ctx context.Context, method, path string, body any) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	target := u.h.o.targets[u.next%len(u.h.o.targets)]
	u.next++
	req, err := http.NewRequestWithContext(ctx, method, target+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

func (u *shopper) do(client *http.Client, req *http.Request, status int, dst any) error {
	start := time.Now()
	res, err := client.Do(req)
	u.tally.requests++
	u.requests.Add(1)
	if err != nil {
		u.tally.latencies = append(u.tally.latencies, time.Since(start))
		return fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	u.tally.latencies = append(u.tally.latencies, time.Since(start))
	if err != nil {
		return fmt.Errorf("%s %s on %s: reading the answer: %w", req.Method, req.URL.Path, req.URL.Host, err)
	}
	if res.StatusCode != status {
		return fmt.Errorf("%s %s on %s: %s, want %d: %.200s", req.Method, req.URL.Path, req.URL.Host, res.Status, status, b)
	}
	if dst != nil {
		if err := json.Unmarshal(b, dst); err != nil {
			return fmt.Errorf("%s %s on %s: %w", req.Method, req.URL.Path, req.URL.Host, err)
		}
	}
	return nil
}
