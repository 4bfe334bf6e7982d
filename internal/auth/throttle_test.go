package auth_test

import (
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/djsessions/api/internal/apitest"
	"github.com/djsessions/api/internal/auth"
	"github.com/djsessions/api/internal/testdb"
)

// limits are the LOGIN_MAX_FAILURES, LOGIN_MAX_FAILURES_PER_ADDR and
// LOGIN_FAILURE_WINDOW of these tests: small, so that they stay short.
var limits = auth.ThrottleLimits{PerUser: 3, PerAddr: 10, Window: 15 * time.Minute}

// throttled starts an API with logins throttled at limits, on the database
// at url, with the clock clk and TRUSTED_PROXIES trusted (CIDRs).
func throttled(t *testing.T, url string, clk *apitest.Clock, trusted ...string) *apitest.App {
	t.Helper()
	return apitest.New(t, apitest.Options{DatabaseURL: url, Throttle: &limits, TrustedProxies: cidrs(t, trusted...), Now: clk.Now})
}

// eachThrottledDB runs f on each supported database; f's fresh starts a
// throttled API on a database of its own, so that no two tests share an
// address's count.
func eachThrottledDB(t *testing.T, f func(t *testing.T, fresh func(t *testing.T, trusted ...string) (*apitest.App, *apitest.Clock), newURL func(testing.TB) string)) {
	t.Helper()
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		f(t, func(t *testing.T, trusted ...string) (*apitest.App, *apitest.Clock) {
			t.Helper()
			clk := apitest.NewClock()
			return throttled(t, newURL(t), clk, trusted...), clk
		}, newURL)
	})
}

// attempt logs in from cl as username with pw.
func attempt(cl *apitest.Client, username, pw string) *apitest.Response {
	return cl.Post("/api/auth/login", credentials{Username: username, Password: pw})
}

// fail makes a login as username with a wrong password, which must be
// refused as one, not throttled.
func fail(t *testing.T, cl *apitest.Client, username string) {
	t.Helper()
	attempt(cl, username, "wrong-password").WantError(t, http.StatusUnauthorized, "invalid_credentials")
}

// spray makes n failed logins from cl, each for another unknown username,
// so that only the address's count reaches a limit.
func spray(t *testing.T, cl *apitest.Client, prefix string, n int) {
	t.Helper()
	for i := range n {
		fail(t, cl, prefix+itoa(i))
	}
}

// wantThrottled checks that res is 429 too_many_attempts, telling the client
// to come back in exactly wait.
func wantThrottled(t *testing.T, res *apitest.Response, wait time.Duration) {
	t.Helper()
	res.WantError(t, http.StatusTooManyRequests, "too_many_attempts")
	if got, want := res.Header.Get("Retry-After"), itoa(int64(wait/time.Second)); got != want {
		t.Fatalf("Retry-After %q, want %q (seconds)", got, want)
	}
}

func TestLoginThrottle(t *testing.T) {
	t.Parallel()
	eachThrottledDB(t, func(t *testing.T, fresh func(*testing.T, ...string) (*apitest.App, *apitest.Clock), newURL func(testing.TB) string) {
		t.Run("429", func(t *testing.T) {
			t.Run("after 3 failures even the right password is refused, until the oldest failure leaves the window", func(t *testing.T) {
				app, clk := fresh(t)
				register(t, app, "alice")
				b := app.Browser()
				fail(t, b, "alice")
				clk.Advance(time.Minute)
				fail(t, b, "alice")
				clk.Advance(time.Minute)
				fail(t, b, "alice")
				clk.Advance(3 * time.Minute) // 5 minutes after the first failure

				res := attempt(b, "alice", strongPassword)

				wantThrottled(t, res, limits.Window-5*time.Minute)
				wantNoKeyChange(t, res)
				wantAnonymous(t, b)

				clk.Advance(limits.Window - 5*time.Minute - time.Second)
				wantThrottled(t, attempt(b, "alice", strongPassword), time.Second)
			})

			t.Run("on the real clock, whose times have fractions of a second, the failures are counted alike", func(t *testing.T) {
				app := apitest.New(t, apitest.Options{DatabaseURL: newURL(t), Throttle: &limits})
				register(t, app, "alice")
				b := app.Browser()
				for range limits.PerUser {
					fail(t, b, "alice")
				}

				res := attempt(b, "alice", strongPassword)

				res.WantError(t, http.StatusTooManyRequests, "too_many_attempts")
				// Rounded up to whole seconds: the window, unless the test
				// ran slowly.
				window := int(limits.Window / time.Second)
				if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || s > window || s < window-10 {
					t.Fatalf("Retry-After %q, want about %d seconds", res.Header.Get("Retry-After"), window)
				}
			})

			t.Run("refused attempts are not counted: the wait does not grow", func(t *testing.T) {
				app, clk := fresh(t)
				register(t, app, "alice")
				b := app.Browser()
				for range limits.PerUser {
					fail(t, b, "alice")
				}

				for i := range 5 {
					clk.Advance(time.Minute)
					wantThrottled(t, attempt(b, "alice", "wrong-password"), limits.Window-time.Duration(i+1)*time.Minute)
				}
			})

			t.Run("a refused login leaves the client's session as it was", func(t *testing.T) {
				app, _ := fresh(t)
				register(t, app, "alice")
				b := app.Browser()
				b.Post("/api/session/visit", nil).Want(t, http.StatusOK)
				key := b.SessionKey()
				for range limits.PerUser {
					fail(t, b, "alice")
				}
				before, _ := app.Stored(t, key)

				res := attempt(b, "alice", strongPassword)

				wantThrottled(t, res, limits.Window)
				wantNoKeyChange(t, res)
				app.WantStoredUnchanged(t, key, before)
			})

			t.Run("an unknown username is throttled exactly as a known one, so throttling tells no one which exist", func(t *testing.T) {
				app, _ := fresh(t)
				register(t, app, "alice")
				b := app.Browser()
				for range limits.PerUser {
					fail(t, b, "alice")
					fail(t, b, "ghost")
				}

				known, unknown := attempt(b, "alice", strongPassword), attempt(b, "ghost", strongPassword)

				wantThrottled(t, known, limits.Window)
				wantThrottled(t, unknown, limits.Window)
				if string(known.Body) != string(unknown.Body) {
					t.Fatalf("a known user is refused with %s, an unknown one with %s", known.Body, unknown.Body)
				}
			})

			t.Run("10 failures from one address over many usernames refuse its next login, for any user", func(t *testing.T) {
				app, clk := fresh(t)
				names := []string{"ann", "ben", "cid", "dee", "eve"}
				for _, n := range append(names, "carol") {
					register(t, app, n)
				}
				b := app.Browser()
				for _, n := range names { // 2 each: no username reaches its own limit
					fail(t, b, n)
					clk.Advance(time.Minute)
					fail(t, b, n)
				}

				// carol never failed; the address did.
				wantThrottled(t, attempt(app.Browser(), "carol", strongPassword), limits.Window-5*time.Minute)
				wantThrottled(t, attempt(app.Browser(), "ann", strongPassword), limits.Window-5*time.Minute)
			})

			t.Run("failures for unknown usernames count against the address", func(t *testing.T) {
				app, _ := fresh(t)
				register(t, app, "carol")

				spray(t, app.Browser(), "nobody", limits.PerAddr)

				wantThrottled(t, attempt(app.Browser(), "carol", strongPassword), limits.Window)
			})

			t.Run("a success does not clear the address's count", func(t *testing.T) {
				app, _ := fresh(t)
				register(t, app, "bob")
				register(t, app, "carol")
				b := app.Browser()
				spray(t, b, "guess", limits.PerAddr-1)
				attempt(app.Browser(), "bob", strongPassword).Want(t, http.StatusOK)

				fail(t, b, "guess")

				wantThrottled(t, attempt(app.Browser(), "carol", strongPassword), limits.Window)
			})

			t.Run("bob, untouched by alice's failures, is refused once their address reaches its limit", func(t *testing.T) {
				app, _ := fresh(t)
				register(t, app, "alice")
				register(t, app, "bob")
				b := app.Browser()
				for range limits.PerUser {
					fail(t, b, "alice")
				}
				attempt(app.Browser(), "bob", strongPassword).Want(t, http.StatusOK)

				spray(t, b, "guess", limits.PerAddr-limits.PerUser)

				wantThrottled(t, attempt(app.Browser(), "bob", strongPassword), limits.Window)
			})

			t.Run("two API processes on one database count the same failures", func(t *testing.T) {
				url, clk := newURL(t), apitest.NewClock()
				one, two := throttled(t, url, clk), throttled(t, url, clk)
				register(t, one, "alice")
				fail(t, one.Browser(), "alice")
				clk.Advance(time.Minute)
				fail(t, two.Browser(), "alice")
				clk.Advance(time.Minute)
				fail(t, one.Browser(), "alice")

				wantThrottled(t, attempt(two.Browser(), "alice", strongPassword), limits.Window-2*time.Minute)
				wantThrottled(t, attempt(one.Browser(), "alice", strongPassword), limits.Window-2*time.Minute)
			})

			t.Run("two API processes on one database count the same address", func(t *testing.T) {
				url, clk := newURL(t), apitest.NewClock()
				one, two := throttled(t, url, clk), throttled(t, url, clk)
				register(t, one, "carol")
				for i := range limits.PerAddr {
					fail(t, []*apitest.App{one, two}[i%2].Browser(), "guess"+itoa(i))
				}

				wantThrottled(t, attempt(one.Browser(), "carol", strongPassword), limits.Window)
				wantThrottled(t, attempt(two.Browser(), "carol", strongPassword), limits.Window)
			})
		})

		t.Run("429 at once", func(t *testing.T) {
			t.Run("20 wrong passwords for one username sent at once: only 3 are checked, the rest are refused", func(t *testing.T) {
				app, _ := fresh(t)
				register(t, app, "alice")

				got := allAtOnce(20, func(int) *apitest.Response {
					return attempt(app.Browser(), "alice", "wrong-password")
				})

				wantRefusedBeyond(t, got, limits.PerUser)
			})

			t.Run("20 wrong passwords for one username sent at once to two API processes: only 3 are checked", func(t *testing.T) {
				url, clk := newURL(t), apitest.NewClock()
				apps := []*apitest.App{throttled(t, url, clk), throttled(t, url, clk)}
				register(t, apps[0], "alice")

				got := allAtOnce(20, func(i int) *apitest.Response {
					return attempt(apps[i%2].Browser(), "alice", "wrong-password")
				})

				wantRefusedBeyond(t, got, limits.PerUser)
			})

			t.Run("20 wrong passwords for different usernames from one address sent at once: only 10 are checked", func(t *testing.T) {
				app, _ := fresh(t)

				got := allAtOnce(20, func(i int) *apitest.Response {
					return attempt(app.Browser(), "guess"+itoa(i), "wrong-password")
				})

				wantRefusedBeyond(t, got, limits.PerAddr)
			})
		})

		t.Run("200", func(t *testing.T) {
			t.Run("once the oldest failure has left the window, alice logs in", func(t *testing.T) {
				app, clk := fresh(t)
				u := register(t, app, "alice")
				b := app.Browser()
				fail(t, b, "alice")
				clk.Advance(time.Minute)
				fail(t, b, "alice")
				clk.Advance(time.Minute)
				fail(t, b, "alice")
				clk.Advance(3 * time.Minute)
				wantThrottled(t, attempt(b, "alice", strongPassword), limits.Window-5*time.Minute)

				clk.Advance(limits.Window - 5*time.Minute) // as Retry-After said

				login(t, b, "alice")
				wantAuthenticatedAs(t, b, u)
			})

			t.Run("once the window has passed, the failures in it are forgotten altogether", func(t *testing.T) {
				app, clk := fresh(t)
				register(t, app, "alice")
				b := app.Browser()
				for range limits.PerUser {
					fail(t, b, "alice")
				}
				clk.Advance(limits.Window + time.Second)

				for range limits.PerUser - 1 {
					fail(t, b, "alice")
				}

				login(t, b, "alice")
			})

			t.Run("failures further apart than half the window never reach the limit", func(t *testing.T) {
				app, clk := fresh(t)
				register(t, app, "alice")
				b := app.Browser()
				for range 3 * limits.PerUser {
					fail(t, b, "alice")
					clk.Advance(limits.Window/2 + time.Second)
				}

				login(t, b, "alice")
			})

			t.Run("a success before the limit clears the username's count", func(t *testing.T) {
				app, _ := fresh(t)
				register(t, app, "alice")
				b := app.Browser()
				fail(t, b, "alice")
				fail(t, b, "alice")
				login(t, app.Browser(), "alice")

				fail(t, b, "alice")
				fail(t, b, "alice")

				login(t, b, "alice")
			})

			t.Run("a success on one API process clears the count for the other", func(t *testing.T) {
				url, clk := newURL(t), apitest.NewClock()
				one, two := throttled(t, url, clk), throttled(t, url, clk)
				register(t, one, "alice")
				fail(t, one.Browser(), "alice")
				fail(t, one.Browser(), "alice")
				login(t, two.Browser(), "alice")

				fail(t, one.Browser(), "alice")
				fail(t, two.Browser(), "alice")

				login(t, one.Browser(), "alice")
			})

			t.Run("the count is per username: alice's failures do not refuse bob", func(t *testing.T) {
				app, _ := fresh(t)
				register(t, app, "alice")
				bob := register(t, app, "bob")
				b := app.Browser()
				for range limits.PerUser {
					fail(t, b, "alice")
				}
				wantThrottled(t, attempt(b, "alice", strongPassword), limits.Window)

				login(t, b, "bob")

				wantAuthenticatedAs(t, b, bob)
			})

			t.Run("one address's failures do not refuse another address (behind a trusted proxy)", func(t *testing.T) {
				app, _ := fresh(t, loopback)
				carol := register(t, app, "carol")
				spray(t, forwardedFor(app, "203.0.113.1"), "guess", limits.PerAddr)
				wantThrottled(t, attempt(forwardedFor(app, "203.0.113.1"), "carol", strongPassword), limits.Window)

				b := forwardedFor(app, "203.0.113.2")
				login(t, b, "carol")

				wantAuthenticatedAs(t, b, carol)
			})
		})
	})
}

// allAtOnce sends n requests, each made by send, at the same time, and
// returns the responses in the order of i.
func allAtOnce(n int, send func(i int) *apitest.Response) []*apitest.Response {
	got := make([]*apitest.Response, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			got[i] = send(i)
		}()
	}
	close(start)
	wg.Wait()
	return got
}

// wantRefusedBeyond checks that exactly max of the failed logins in got were
// checked (401) and the others refused (429, with the whole window to wait:
// the clock stood still).
func wantRefusedBeyond(t *testing.T, got []*apitest.Response, max int) {
	t.Helper()
	checked := 0
	for _, res := range got {
		if res == nil {
			t.Fatal("a request did not complete") // its goroutine has reported why
		}
		if res.StatusCode == http.StatusUnauthorized {
			res.WantError(t, http.StatusUnauthorized, "invalid_credentials")
			checked++
			continue
		}
		wantThrottled(t, res, limits.Window)
	}
	if checked != max {
		t.Fatalf("%d of %d failed logins sent at once were checked (401), want %d; the rest refused (429)", checked, len(got), max)
	}
}
