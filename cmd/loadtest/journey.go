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
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// journeyScenario is the scenario of whole visits rather than one kind of
// request: each of -workers virtual users, a browser with a cookie jar of its
// own, logs in, browses, fills a cart and logs out, over and over for
// -duration, each of its requests to the next of -targets. It checks what
// it is answered as it goes: an error is any unexpected status or answer,
// and a lost update a cart addition answered 200 that is not in the cart
// read at the end.
const journeyScenario = "journey"

// tally is what the virtual users of a journey run counted.
type tally struct {
	requests  int
	journeys  int      // completed, with or without errors
	acked     int      // cart additions answered 200
	lost      int      // of those, missing from the cart read after them
	errors    int      // unexpected statuses or answers, connections that failed
	problems  []string // the first few errors, for the log
	latencies []time.Duration
}

func (t *tally) add(o tally) {
	t.requests += o.requests
	t.journeys += o.journeys
	t.acked += o.acked
	t.lost += o.lost
	t.errors += o.errors
	for _, p := range o.problems {
		t.problem(p)
	}
	t.latencies = append(t.latencies, o.latencies...)
}

// problem keeps the first few errors' descriptions.
func (t *tally) problem(p string) {
	if len(t.problems) < 5 {
		t.problems = append(t.problems, p)
	}
}

// journey runs the journey for -duration with -workers virtual users; a
// journey under way when the time is up is finished, so that its cart is
// checked.
func (h *harness) journey(ctx context.Context, run string) result {
	tr := &http.Transport{MaxIdleConnsPerHost: h.o.workers, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	site, _ := url.Parse(h.o.targets[0]) // checked by run
	deadline := time.Now().Add(h.o.duration)
	var requests atomic.Int64
	var mu sync.Mutex
	var total tally
	var wg sync.WaitGroup
	start := time.Now()
	for w := range h.o.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u := &shopper{h: h, transport: tr, site: site, next: w, requests: &requests}
			for time.Now().Before(deadline) && ctx.Err() == nil {
				u.journey(ctx)
			}
			mu.Lock()
			total.add(u.tally)
			mu.Unlock()
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for waiting := true; waiting; {
		select {
		case <-done:
			waiting = false
		case <-tick.C:
			h.process.sample(ctx, h)
			el := time.Since(start)
			n := requests.Load()
			fmt.Fprintf(h.log, "\r%s run %s: %4.0fs, %d requests, %.0f req/s   ", journeyScenario, run,
				el.Seconds(), n, float64(n)/el.Seconds())
		}
	}
	elapsed := time.Since(start)
	fmt.Fprintf(h.log, "\r%-60s\r", "")
	for _, p := range total.problems {
		fmt.Fprintf(h.log, "%s run %s: %s\n", journeyScenario, run, p)
	}
	r := result{
		rate: float64(total.requests) / elapsed.Seconds(), errors: total.errors,
		lost: total.lost, acked: total.acked, journeys: total.journeys, requests: total.requests,
	}
	sort.Slice(total.latencies, func(i, j int) bool { return total.latencies[i] < total.latencies[j] })
	r.p50, r.p95, r.p99 = percentile(total.latencies, 0.50), percentile(total.latencies, 0.95), percentile(total.latencies, 0.99)
	return r
}

func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

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
