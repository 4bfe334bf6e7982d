// Command loadtest measures a running API against floors it serves itself,
// so that its figures are ratios that survive a noisy machine. It starts
// nothing of the API: point it at one (make run, or a production build).
//
//	go run ./cmd/loadtest -target http://127.0.0.1:8000 \
//	    -database-url postgres://postgres@127.0.0.1:5432/app -scenarios all -runs 3
//
// Each scenario runs at saturation (or at -rate requests per second) for
// -duration, -runs times, and prints the median run: requests per second,
// latency percentiles, errors, and django_session writes per request (from
// pg_stat_user_tables, when the API's database is PostgreSQL). The floors
// are Echo handlers on -floors-addr doing nothing, one primary-key SELECT on
// django_session through a pool like the API's, one SELECT and one UPDATE
// in a transaction, and one Redis GET.
//
// The journey scenario is whole visits instead: virtual users (-workers)
// that log in, browse, fill a cart and log out, checking every answer and
// counting the cart additions answered 200 that the cart then lacks. With
// -targets, the requests go round several processes of one API, so that a
// run shows whether they are one deployment, and what they serve together:
//
//	go run ./cmd/loadtest -targets http://127.0.0.1:8001,http://127.0.0.1:8002 \
//	    -scenarios journey -runs 1 -duration 5s
//
// It exits 1 on a journey's error or lost update (on any scenario's errors
// with -fail-on-errors).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/djsessions/api/internal/password"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

type options struct {
	target      string
	targets     []string // -targets, or -target alone; requests go round them
	floorsAddr  string
	databaseURL string
	redisURL    string
	scenarios   []string
	floors      []string // the floors the scenarios are compared with, and those named
	rate        int
	duration    time.Duration
	runs        int
	workers     int
	sessions    int
	password    string
	iterations  int
	statsSettle time.Duration
	seedLive    int
	seedExpired int
	during      string
	journeyAdds int
	failOnError bool
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	var scenarios, targets string
	fs.StringVar(&o.target, "target", "http://127.0.0.1:8000", "base URL of the running API")
	fs.StringVar(&targets, "targets", "", "comma-separated base URLs of several processes of one API, instead of -target: each request (each of a journey's virtual users) goes to the next")
	fs.StringVar(&o.floorsAddr, "floors-addr", "127.0.0.1:8099", "where the floors are served")
	fs.StringVar(&o.databaseURL, "database-url", os.Getenv("DATABASE_URL"), "the API's PostgreSQL, for the SELECT floors and the write counts (empty: skipped)")
	fs.StringVar(&o.redisURL, "redis-url", "", "a Redis for the GET floor (empty: skipped)")
	fs.StringVar(&scenarios, "scenarios", "all", "comma-separated, of: "+strings.Join(scenarioNames(), ", ")+"; or all, which runs every floor too (a list runs the floors its scenarios are compared with, and those it names)")
	fs.IntVar(&o.rate, "rate", 0, "requests per second; 0 saturates (the journey always does, with -workers virtual users)")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "of each run")
	fs.IntVar(&o.runs, "runs", 3, "runs of each scenario; the median is reported")
	fs.IntVar(&o.workers, "workers", 4*runtime.NumCPU(), "concurrent connections at saturation")
	fs.IntVar(&o.sessions, "sessions", 100, "distinct sessions the session scenarios spread over")
	fs.StringVar(&o.password, "password", "Load-test-passw0rd", "of the users the harness registers")
	fs.DurationVar(&o.statsSettle, "stats-settle", 11*time.Second, "wait before reading PostgreSQL's write counts (its idle flush interval is 10s)")
	fs.IntVar(&o.seedLive, "seed-live", 0, "sessions to add to django_session first, live for a day, that no client uses")
	fs.IntVar(&o.seedExpired, "seed-expired", 0, "expired sessions to add to django_session first, for clearsessions to clear")
	fs.StringVar(&o.during, "during", "", "a shell command run beside each run of each scenario, with its time reported (e.g. \"api clearsessions\")")
	fs.IntVar(&o.iterations, "hash-iterations", 1_000_000, "the API's PASSWORD_HASHER_ITERATIONS, for the login floor")
	fs.IntVar(&o.journeyAdds, "journey-adds", 4, "cart additions in each journey, one of each product, round the catalog")
	fs.BoolVar(&o.failOnError, "fail-on-errors", false, "exit 1 if any scenario had errors (the journey always does, and on lost updates)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if scenarios == "all" {
		o.scenarios, o.floors = scenarioNames(), floorNames
	} else {
		for _, s := range strings.Split(scenarios, ",") {
			s = strings.TrimSpace(s)
			switch {
			case slices.Contains(floorNames, s):
				o.floors = append(o.floors, s)
			case slices.Contains(scenarioNames(), s):
				o.scenarios = append(o.scenarios, s)
				if f := floorOf(s); f != "" {
					o.floors = append(o.floors, f)
				}
			default:
				return fmt.Errorf("-scenarios: no scenario %q", s)
			}
		}
	}
	if o.runs < 1 || o.duration <= 0 || o.workers < 1 || o.sessions < 1 || o.journeyAdds < 1 {
		return fmt.Errorf("-runs, -duration, -workers, -sessions and -journey-adds must be positive")
	}
	if targets == "" {
		targets = o.target
	}
	for _, t := range strings.Split(targets, ",") {
		t = strings.TrimRight(strings.TrimSpace(t), "/")
		if u, err := url.Parse(t); err != nil || u.Host == "" {
			return fmt.Errorf("-target(s): %q is not a base URL", t)
		}
		o.targets = append(o.targets, t)
	}
	o.target = o.targets[0]

	h, err := newHarness(ctx, o, stderr)
	if err != nil {
		return err
	}
	defer h.close()
	for _, s := range []struct {
		n         int
		expiresIn time.Duration
	}{{o.seedLive, 24 * time.Hour}, {o.seedExpired, -time.Hour}} {
		if s.n > 0 {
			if err := h.seed(ctx, s.n, s.expiresIn); err != nil {
				return err
			}
		}
	}

	fmt.Fprintf(stdout, "target %s, %d run(s) of %s each, %s, %d CPUs\n\n",
		strings.Join(o.targets, " "), o.runs, o.duration, rateName(o.rate, o.workers), runtime.NumCPU())
	fmt.Fprintf(stdout, "%-16s %10s %9s %9s %9s %7s %11s %8s\n", "scenario", "req/s", "p50", "p95", "p99", "errors", "writes/req", "of floor")
	before, haveProcess := h.readProcess(ctx)
	results := map[string]result{}
	var failed []string
	for _, name := range append(slices.Clone(floorNames), o.scenarios...) {
		if slices.Contains(floorNames, name) && (!slices.Contains(o.floors, name) || !h.hasFloor(name)) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		var r result
		var err error
		if name == floorHash {
			r = hashFloor(o.iterations)
		} else {
			r, err = h.measure(ctx, name)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		results[name] = r
		ratio := ""
		if f, ok := results[floorOf(name)]; ok && !slices.Contains(floorNames, name) && f.rate > 0 {
			ratio = fmt.Sprintf("%5.0f%% %s", 100*r.rate/f.rate, floorOf(name))
		}
		writes := "-"
		if r.writesKnown {
			writes = fmt.Sprintf("%.2f", r.writesPerRequest)
		}
		fmt.Fprintf(stdout, "%-16s %10.0f %9s %9s %9s %7d %11s %s\n", name, r.rate,
			ms(r.p50), ms(r.p95), ms(r.p99), r.errors, writes, ratio)
		if r.allLost > 0 || (name == journeyScenario || o.failOnError) && r.allErrors > 0 {
			failed = append(failed, name)
		}
	}
	if r, ok := results[journeyScenario]; ok {
		fmt.Fprintf(stdout, "\njourney, median run: %d journeys, %d requests over %d target(s), %.0f req/s; "+
			"%d cart additions answered 200, %d lost; errors %d; in all %d run(s): %d error(s), %d lost update(s)\n",
			r.journeys, r.requests, len(o.targets), r.rate, r.acked, r.lost, r.errors, o.runs, r.allErrors, r.allLost)
	}
	if haveProcess {
		// Keep-alive connections of the load close with the harness's
		// transport; give the server a moment to let their goroutines go.
		h.closeIdle()
		time.Sleep(2 * time.Second)
		after, _ := h.readProcess(ctx)
		fmt.Fprintf(stdout, "\nAPI process (%s): at most %.0f MB resident during the runs; %.0f goroutines before, %.0f after\n",
			o.target, h.process.maxRSS/(1<<20), before.goroutines, after.goroutines)
	}
	if len(failed) > 0 {
		return fmt.Errorf("errors or lost updates in %s", strings.Join(failed, ", "))
	}
	return nil
}

// hashFloor times password hashes at iterations on one core and scales to
// every core: no login can be faster.
func hashFloor(iterations int) result {
	hasher := password.NewHasher(iterations)
	const n = 5
	start := time.Now()
	for range n {
		hasher.Make("Load-test-passw0rd")
	}
	one := time.Since(start) / n
	return result{rate: float64(runtime.NumCPU()) / one.Seconds(), p50: one, p95: one, p99: one}
}

func rateName(rate, workers int) string {
	if rate == 0 {
		return fmt.Sprintf("saturation with %d connections", workers)
	}
	return fmt.Sprintf("%d req/s", rate)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }
