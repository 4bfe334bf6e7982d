package main

import (
	"context"
	"fmt"
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
