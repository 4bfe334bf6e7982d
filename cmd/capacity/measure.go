package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/djsessions/api/internal/session"
)

// cartLines is how many lines each measured session's cart holds: the
// issue's "a logged-in session with a cart of ten lines".
const cartLines = 10

// plan is what to measure.
type plan struct {
	engine   string // the API's SESSION_ENGINE, short name
	sessions int
	workers  int    // sessions made at once
	runID    string // in the usernames, so that runs on one database never collide
	password string
	// linePause is the time between two cart lines. Each line keeps when it
	// was added, to the second: lines added in one second share that time,
	// which compresses better than a cart filled over minutes.
	linePause time.Duration
	// secretKey is the API's SECRET_KEY, to open the stored data and count
	// the cart's lines in it; "" skips that check.
	secretKey string
}

// result is what a measurement found.
type result struct {
	engine   string
	sessions int
	verified int      // sessions whose stored data was opened and held the ten lines
	notes    []string // what the measurement did to the API's data beyond its sessions
	rows     []row
	sample   string // one session's signed data as stored, for seeding clearsessions
}

// measure makes p.sessions logged-in sessions with a full cart through the
// API at target, and weighs what they occupy in st.
func measure(ctx context.Context, hc *http.Client, target string, st stores, p plan) (result, error) {
	res := result{engine: p.engine, sessions: p.sessions}
	products, note, err := catalog(ctx, hc, target, st)
	if err != nil {
		return res, err
	}
	if note != "" {
		res.notes = append(res.notes, note)
	}
	// A first round of sessions, not weighed, opens the API's connections
	// to its stores (each a Redis client's buffers, tens of KiB): the
	// growth measured after it is the sessions', not the pools'.
	warm := p
	warm.sessions, warm.runID = max(p.workers, 1), p.runID+"-warm"
	if _, err := makeSessions(ctx, hc, target, products, warm); err != nil {
		return res, err
	}
	before, err := st.totals(ctx, p.engine)
	if err != nil {
		return res, err
	}
	sessions, err := makeSessions(ctx, hc, target, products, p)
	if err != nil {
		return res, err
	}
	after, err := st.totals(ctx, p.engine)
	if err != nil {
		return res, err
	}
	weights := make([]weight, len(sessions))
	for i, m := range sessions {
		if weights[i], err = st.weigh(ctx, p.engine, m); err != nil {
			return res, err
		}
	}
	if p.secretKey != "" {
		if res.verified, err = verify(weights, p); err != nil {
			return res, err
		}
	}
	if pg, _, _ := uses(p.engine); pg {
		keys := make([]string, len(sessions))
		for i, m := range sessions {
			keys[i] = m.key
		}
		if after.packed, err = st.packed(ctx, keys); err != nil {
			return res, err
		}
	}
	if _, rd, _ := uses(p.engine); rd {
		spread, err := keysPerMaster(ctx, st.redis)
		if err != nil {
			return res, err
		}
		if spread != "" {
			res.notes = append(res.notes, "keys per cluster master (DBSIZE, every key of this Redis): "+spread)
		}
	}
	res.rows = rows(p.engine, weights, before, after)
	res.sample = weights[0].stored
	return res, nil
}

// catalog returns the first ten products of the catalog. The API's own
// catalog has eight, so the missing ones are added to the products table,
// which is why the measurement needs a database of its own.
func catalog(ctx context.Context, hc *http.Client, target string, st stores) ([]product, string, error) {
	var products []product
	if err := newClient(hc, target).do(ctx, http.MethodGet, "/api/products", nil, &products); err != nil {
		return nil, "", err
	}
	if len(products) >= cartLines {
		return products[:cartLines], "", nil
	}
	missing := cartLines - len(products)
	_, err := st.db.ExecContext(ctx, `INSERT INTO products (name, price)
		SELECT 'Capacity plan product ' || i, 12.50 FROM generate_series(1, $1) AS i`, missing)
	if err != nil {
		return nil, "", fmt.Errorf("adding products for a cart of %d lines: %w", cartLines, err)
	}
	products = nil
	if err := newClient(hc, target).do(ctx, http.MethodGet, "/api/products", nil, &products); err != nil {
		return nil, "", err
	}
	if len(products) < cartLines {
		return nil, "", fmt.Errorf("the catalog has %d products after adding %d: is -database-url the API's database?", len(products), missing)
	}
	return products[:cartLines], fmt.Sprintf("added %d products to the catalog, which had %d, for carts of %d lines", missing, cartLines-missing, cartLines), nil
}

// makeSessions registers and logs in p.sessions users, p.workers at a
// time, and fills each one's cart.
func makeSessions(ctx context.Context, hc *http.Client, target string, products []product, p plan) ([]made, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	out := make([]made, p.sessions)
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(p.workers, 1) {
		wg.Go(func() {
			for i := range next {
				m, err := makeSession(ctx, newClient(hc, target), fmt.Sprintf("cap-%s-%d", p.runID, i), products, p)
				if err != nil {
					cancel(err)
					return
				}
				out[i] = m
			}
		})
	}
feed:
	for i := range p.sessions {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return out, nil
}

func makeSession(ctx context.Context, c *client, username string, products []product, p plan) (made, error) {
	id, err := c.logIn(ctx, username, p.password)
	if err != nil {
		return made{}, err
	}
	n, err := c.fillCart(ctx, products, p.linePause)
	if err != nil {
		return made{}, err
	}
	if n != len(products) {
		return made{}, fmt.Errorf("the cart of %s has %d lines after adding %d products", username, n, len(products))
	}
	return made{key: c.key, userID: id}, nil
}

// verify opens each session's stored data with the API's key and checks
// that it holds the cart's ten lines and a user: that what was weighed is
// the session the issue asks about. Sealed data (SESSION_ENCRYPTION_KEYS)
// cannot be opened here, and is not counted.
func verify(weights []weight, p plan) (int, error) {
	salt := session.SaltStore
	if p.engine == "signed_cookies" {
		salt = session.SaltSignedCookies
	}
	signer := session.NewSigner(salt, p.secretKey)
	verified := 0
	for _, w := range weights {
		if strings.HasPrefix(w.stored, "gcm1:") {
			continue
		}
		payload, _, err := signer.Unsign(w.stored)
		if err != nil {
			return verified, fmt.Errorf("opening the stored data: %w (is -secret-key the API's SECRET_KEY?)", err)
		}
		var data struct {
			UserID string                     `json:"_auth_user_id"`
			Cart   map[string]json.RawMessage `json:"cart"`
		}
		if err := json.Unmarshal(payload, &data); err != nil {
			return verified, fmt.Errorf("the stored data is not a JSON object: %w", err)
		}
		if data.UserID == "" || len(data.Cart) != cartLines {
			return verified, fmt.Errorf("the stored data has user %q and %d cart lines, want a user and %d: %s", data.UserID, len(data.Cart), cartLines, payload)
		}
		verified++
	}
	return verified, nil
}
