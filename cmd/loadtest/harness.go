package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/redis/go-redis/v9"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/djsessions/api/internal/database"
)

// harness holds what the scenarios share: the API's address, a client for
// setting sessions up, and the floors.
type harness struct {
	o      options
	log    io.Writer
	client *http.Client
	db     *sqlx.DB      // nil without -database-url
	rdb    *redis.Client // nil without -redis-url
	floors *floors
	// products are the catalog's ids, for the cart scenarios.
	products []int64
	// process follows the API's memory through the runs.
	process watchProcess
}

func newHarness(ctx context.Context, o options, log io.Writer) (*harness, error) {
	h := &harness{o: o, log: log, client: &http.Client{Timeout: 30 * time.Second}}
	for _, t := range o.targets {
		if err := h.getFrom(ctx, t, "/healthz", nil); err != nil {
			return nil, fmt.Errorf("target %s does not answer: %w", t, err)
		}
	}
	var err error
	if o.databaseURL != "" {
		if h.db, err = database.Open(ctx, o.databaseURL); err != nil {
			return nil, fmt.Errorf("-database-url: %w", err)
		}
		if h.db.DriverName() != database.Postgres {
			return nil, fmt.Errorf("-database-url: the floors and write counts need PostgreSQL")
		}
	}
	if o.redisURL != "" {
		opt, err := redis.ParseURL(o.redisURL)
		if err != nil {
			return nil, fmt.Errorf("-redis-url: %w", err)
		}
		h.rdb = redis.NewClient(opt)
		if err := h.rdb.Set(ctx, "loadtest:floor", "a session's worth of bytes", time.Hour).Err(); err != nil {
			return nil, fmt.Errorf("-redis-url: %w", err)
		}
	}
	var catalog []struct {
		ID int64 `json:"id"`
	}
	if err := h.get(ctx, "/api/products", &catalog); err != nil {
		return nil, err
	}
	for _, p := range catalog {
		h.products = append(h.products, p.ID)
	}
	if len(h.products) == 0 {
		return nil, fmt.Errorf("the catalog is empty: the cart scenarios need products")
	}

	if !slices.ContainsFunc(o.floors, func(f string) bool { return f != floorHash }) {
		h.floors = &floors{have: map[string]bool{}} // none served: no scenario is compared with one
		return h, nil
	}
	// The SELECT floors read real sessions' rows.
	keys, err := h.sessions(ctx, o.sessions, h.anonymousSession)
	if err != nil {
		return nil, err
	}
	if h.db != nil {
		if err := sessionRowExists(ctx, h.db, keys[0]); err != nil {
			return nil, err
		}
	}
	if h.floors, err = serveFloors(o.floorsAddr, h.db, h.rdb, keys); err != nil {
		return nil, fmt.Errorf("-floors-addr: %w", err)
	}
	return h, nil
}

func (h *harness) close() {
	if h.floors != nil && h.floors.srv != nil {
		h.floors.close()
	}
	if h.db != nil {
		h.db.Close()
	}
	if h.rdb != nil {
		h.rdb.Close()
	}
}

// closeIdle closes the harness's own idle connections to the API.
func (h *harness) closeIdle() { h.client.CloseIdleConnections() }

func (h *harness) hasFloor(name string) bool { return name == floorHash || h.floors.have[name] }

// result is one scenario's median run.
type result struct {
	rate             float64
	p50, p95, p99    time.Duration
	errors           int
	writesPerRequest float64
	writesKnown      bool
	// The journey's counts (zero for the other scenarios).
	requests, journeys, acked, lost int
	// allErrors and allLost are the errors and lost updates of every run,
	// not only of the median one.
	allErrors, allLost int
}

// measure runs a scenario -runs times and returns its median run by rate.
func (h *harness) measure(ctx context.Context, name string) (result, error) {
	var runs []result
	var allErrors, allLost int
	for i := range h.o.runs {
		run := fmt.Sprintf("%d/%d", i+1, h.o.runs)
		var targeter vegeta.Targeter
		if name != journeyScenario {
			var err error
			if targeter, err = h.targeter(ctx, name); err != nil {
				return result{}, err
			}
		}
		before, known := h.writes(ctx)
		wait := func() string { return "" }
		if !slices.Contains(floorNames, name) {
			wait = during(ctx, h.o.during, h.log)
		}
		var r result
		if name == journeyScenario {
			r = h.journey(ctx, run)
		} else {
			m := h.attack(ctx, name, run, targeter)
			r = result{
				rate: m.Throughput, p50: m.Latencies.P50, p95: m.Latencies.P95, p99: m.Latencies.P99,
				errors: int(m.Requests) - int(float64(m.Requests)*m.Success+0.5), requests: int(m.Requests),
			}
		}
		if note := wait(); note != "" {
			fmt.Fprintf(h.log, "%s run %d: %s\n", name, i+1, note)
		}
		after, known2 := h.writes(ctx)
		r.writesKnown = known && known2
		if r.requests > 0 && r.writesKnown {
			r.writesPerRequest = float64(after-before) / float64(r.requests)
		}
		allErrors, allLost = allErrors+r.errors, allLost+r.lost
		runs = append(runs, r)
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].rate < runs[j].rate })
	median := runs[len(runs)/2]
	median.allErrors, median.allLost = allErrors, allLost
	return median, nil
}

// attack runs one scenario run, showing progress once a second.
func (h *harness) attack(ctx context.Context, name, run string, targeter vegeta.Targeter) *vegeta.Metrics {
	// A transport of the attack's own, closed after it, so that its
	// connections do not stay open on the server as idle goroutines.
	tr := &http.Transport{MaxIdleConnsPerHost: h.o.workers, MaxConnsPerHost: 0, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	opts := []func(*vegeta.Attacker){vegeta.Client(&http.Client{Transport: tr, Timeout: 30 * time.Second})}
	var pacer vegeta.Pacer = vegeta.Rate{Freq: h.o.rate, Per: time.Second}
	if h.o.rate == 0 {
		opts = append(opts, vegeta.Workers(uint64(h.o.workers)), vegeta.MaxWorkers(uint64(h.o.workers)))
		pacer = vegeta.Rate{Freq: 0}
	}
	attacker := vegeta.NewAttacker(opts...)
	var m vegeta.Metrics
	start := time.Now()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	results := attacker.Attack(targeter, pacer, h.o.duration, name)
	for {
		select {
		case r, ok := <-results:
			if !ok {
				m.Close()
				fmt.Fprintf(h.log, "\r%-60s\r", "")
				return &m
			}
			m.Add(r)
		case <-tick.C:
			h.process.sample(ctx, h)
			el := time.Since(start)
			fmt.Fprintf(h.log, "\r%s run %s: %4.0fs, %d requests, %.0f req/s   ", name, run,
				el.Seconds(), m.Requests, float64(m.Requests)/el.Seconds())
		case <-ctx.Done():
			attacker.Stop()
		}
	}
}

// writes returns the rows of django_session inserted, updated and deleted
// so far, as PostgreSQL counts them. A backend reports its counts at the
// end of a transaction at most once a second, and when idle at most
// PGSTAT_IDLE_INTERVAL (10 s) later: the count is read once that has
// passed since the run, so that no run's writes are charged to the next.
func (h *harness) writes(ctx context.Context) (int64, bool) {
	if h.db == nil {
		return 0, false
	}
	select {
	case <-time.After(h.o.statsSettle):
	case <-ctx.Done():
		return 0, false
	}
	var n int64
	err := h.db.QueryRowContext(ctx, `SELECT COALESCE(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)
		FROM pg_stat_user_tables WHERE relname = 'django_session'`).Scan(&n)
	return n, err == nil
}

// Setting sessions up, through the API itself.

func (h *harness) get(ctx context.Context, path string, dst any) error {
	return h.getFrom(ctx, h.o.target, path, dst)
}

// getFrom is get from one of the targets.
func (h *harness) getFrom(ctx context.Context, target, path string, dst any) error {
	_, err := h.doOn(ctx, target, http.MethodGet, path, "", nil, dst)
	return err
}

// do sends a request with the session key key ("" for none) and returns the
// key the response issued, if any.
func (h *harness) do(ctx context.Context, method, path, key string, body, dst any) (string, error) {
	return h.doOn(ctx, h.o.target, method, path, key, body, dst)
}

// doOn is do on one of the targets.
func (h *harness) doOn(ctx context.Context, target, method, path, key string, body, dst any) (string, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return "", err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, target+path, rd)
	if err != nil {
		return "", err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("X-Session-Key", cmp(key, "new"))
	res, err := h.client.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		return "", fmt.Errorf("%s %s: %s %s", method, path, res.Status, b)
	}
	if dst != nil {
		if err := json.Unmarshal(b, dst); err != nil {
			return "", fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return cmp(res.Header.Get("X-Session-Key"), key), nil
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// anonymousSession returns the key of a new session with a little data.
func (h *harness) anonymousSession(ctx context.Context) (string, error) {
	return h.do(ctx, http.MethodPost, "/api/session/visit", "", map[string]any{}, nil)
}

// user registers a new user and returns its name.
func (h *harness) user(ctx context.Context) (string, error) {
	name := "load_" + rand.Text()[:12]
	_, err := h.do(ctx, http.MethodPost, "/api/auth/register", "", map[string]string{
		"username": name, "password": h.o.password,
	}, nil)
	return name, err
}

// loggedInSession logs username in and returns the session's key.
func (h *harness) loggedInSession(ctx context.Context, username string) (string, error) {
	return h.do(ctx, http.MethodPost, "/api/auth/login", "", map[string]any{
		"username": username, "password": h.o.password, "remember_me": true,
	}, nil)
}

// sessions makes n sessions with newSession.
func (h *harness) sessions(ctx context.Context, n int, newSession func(context.Context) (string, error)) ([]string, error) {
	keys := make([]string, 0, n)
	for range n {
		k, err := newSession(ctx)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return slices.Clip(keys), nil
}
