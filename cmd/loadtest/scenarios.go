package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// A scenario is one kind of traffic: sessions set up through the API, then
// requests spread over them, each compared with the floor that does the
// least work a request of its kind must do.
type scenario struct {
	name  string
	floor string
	// setup prepares a run and returns its requests; it runs before each
	// run, so that no run inherits a full cart or an expired session.
	setup func(ctx context.Context, h *harness) (next func(i uint64) request, err error)
}

type request struct {
	method, path, key string
	body              any
}

var scenarios = []scenario{
	{name: "anon-check", floor: floorSelect, setup: func(ctx context.Context, h *harness) (func(uint64) request, error) {
		keys, err := h.sessions(ctx, h.o.sessions, h.anonymousSession)
		return func(i uint64) request {
			return request{method: http.MethodGet, path: "/api/auth/session", key: keys[i%uint64(len(keys))]}
		}, err
	}},
	{name: "user-check", floor: floorSelect, setup: func(ctx context.Context, h *harness) (func(uint64) request, error) {
		keys, err := h.loggedIn(ctx)
		return func(i uint64) request {
			return request{method: http.MethodGet, path: "/api/auth/session", key: keys[i%uint64(len(keys))]}
		}, err
	}},
	{name: "visit", floor: floorSelectWrite, setup: func(ctx context.Context, h *harness) (func(uint64) request, error) {
		keys, err := h.sessions(ctx, h.o.sessions, h.anonymousSession)
		return func(i uint64) request {
			return request{method: http.MethodPost, path: "/api/session/visit", key: keys[i%uint64(len(keys))], body: map[string]any{}}
		}, err
	}},
	{name: "cart-add", floor: floorSelectWrite, setup: func(ctx context.Context, h *harness) (func(uint64) request, error) {
		keys, err := h.sessions(ctx, h.o.sessions, h.anonymousSession)
		return func(i uint64) request {
			// Lines rotate over the catalog, so that a run of a few
			// thousand additions per session stays under 999 per line.
			n := uint64(len(keys))
			return request{method: http.MethodPost, path: "/api/cart/items", key: keys[i%n],
				body: map[string]any{"product_id": h.products[(i/n)%uint64(len(h.products))]}}
		}, err
	}},
	{name: "login", floor: floorHash, setup: func(ctx context.Context, h *harness) (func(uint64) request, error) {
		users, err := h.users(ctx)
		return func(i uint64) request {
			return request{method: http.MethodPost, path: "/api/auth/login", body: map[string]any{
				"username": users[i%uint64(len(users))], "password": h.o.password,
			}}
		}, err
	}},
	{name: "spa-mixed", floor: floorSelect, setup: func(ctx context.Context, h *harness) (func(uint64) request, error) {
		keys, err := h.loggedIn(ctx)
		// Mostly reads, as an SPA browsing: out of 20 requests, 14 session
		// checks, 3 cart views, 2 catalog reads and 1 cart addition.
		return func(i uint64) request {
			k := keys[i%uint64(len(keys))]
			switch i % 20 {
			case 0, 7, 14:
				return request{method: http.MethodGet, path: "/api/cart", key: k}
			case 3, 11:
				return request{method: http.MethodGet, path: "/api/products", key: k}
			case 19:
				return request{method: http.MethodPost, path: "/api/cart/items", key: k,
					body: map[string]any{"product_id": h.products[(i/20)%uint64(len(h.products))]}}
			}
			return request{method: http.MethodGet, path: "/api/auth/session", key: k}
		}, err
	}},
	// The journey runs virtual users of its own (journey.go), not vegeta,
	// and is compared with no floor.
	{name: journeyScenario},
}

func scenarioNames() []string {
	names := make([]string, len(scenarios))
	for i, s := range scenarios {
		names[i] = s.name
	}
	return names
}

// floorOf names what name is compared with.
func floorOf(name string) string {
	for _, s := range scenarios {
		if s.name == name {
			return s.floor
		}
	}
	return ""
}

// targeter sets up a run of name and returns its requests for vegeta.
func (h *harness) targeter(ctx context.Context, name string) (vegeta.Targeter, error) {
	for _, f := range floorNames {
		if name == f {
			url := h.floors.base + "/" + f
			return func(t *vegeta.Target) error {
				t.Method, t.URL, t.Header, t.Body = http.MethodGet, url, nil, nil
				return nil
			}, nil
		}
	}
	var next func(uint64) request
	for _, s := range scenarios {
		if s.name == name {
			var err error
			if next, err = s.setup(ctx, h); err != nil {
				return nil, fmt.Errorf("setting up: %w", err)
			}
		}
	}
	var i atomic.Uint64
	return func(t *vegeta.Target) error {
		n := i.Add(1) - 1
		r := next(n)
		t.Method, t.URL = r.method, h.o.targets[n%uint64(len(h.o.targets))]+r.path
		t.Header = http.Header{"X-Session-Key": {cmp(r.key, "new")}}
		t.Body = nil
		if r.body != nil {
			b, err := json.Marshal(r.body)
			if err != nil {
				return err
			}
			t.Body = b
			t.Header.Set("Content-Type", "application/json")
		}
		return nil
	}, nil
}

// users registers -sessions users; a login scenario spreads over them so
// that no account's success resets another's throttling.
func (h *harness) users(ctx context.Context) ([]string, error) {
	var users []string
	for range min(h.o.sessions, 20) {
		u, err := h.user(ctx)
		if err != nil {
			return nil, err
		}
		users = append(users, u)
	}
	return users, nil
}

// loggedIn returns -sessions logged-in sessions of a few users. Each costs
// a login, that is a password hash: this is the slow part of setting up.
func (h *harness) loggedIn(ctx context.Context) ([]string, error) {
	users, err := h.users(ctx)
	if err != nil {
		return nil, err
	}
	var keys []string
	for i := range h.o.sessions {
		k, err := h.loggedInSession(ctx, users[i%len(users)])
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}
