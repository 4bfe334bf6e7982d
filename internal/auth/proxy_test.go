package auth_test

import (
	"net"
	"testing"
	"time"

	"github.com/djsessions/api/internal/apitest"
)

// loopback is the test server's peer address, as TRUSTED_PROXIES lists it:
// with it trusted, every test client is a proxy.
const loopback = "127.0.0.1/32"

// cidrs parses TRUSTED_PROXIES entries.
func cidrs(t *testing.T, s ...string) []*net.IPNet {
	t.Helper()
	var nets []*net.IPNet
	for _, c := range s {
		_, n, err := net.ParseCIDR(c)
		if err != nil {
			t.Fatalf("TRUSTED_PROXIES %q: %v", c, err)
		}
		nets = append(nets, n)
	}
	return nets
}

// forwardedFor returns a new browser whose requests carry X-Forwarded-For
// chain, as a proxy sends them, or as a client forges them.
func forwardedFor(app *apitest.App, chain string) *apitest.Client {
	cl := app.Browser()
	cl.Header.Set("X-Forwarded-For", chain)
	return cl
}

func TestLoginThrottleClientAddress(t *testing.T) {
	t.Parallel()
	eachThrottledDB(t, func(t *testing.T, fresh func(*testing.T, ...string) (*apitest.App, *apitest.Clock), _ func(testing.TB) string) {
		t.Run("429", func(t *testing.T) {
			t.Run("without trusted proxies, a client forging a new X-Forwarded-For on each attempt still reaches the address's limit", func(t *testing.T) {
				app, _ := fresh(t)
				register(t, app, "carol")
				for i := range limits.PerAddr {
					cl := forwardedFor(app, "198.51.100."+itoa(i+1))
					cl.Header.Set("X-Real-IP", "198.51.100."+itoa(i+1))
					fail(t, cl, "guess"+itoa(i))
				}

				wantThrottled(t, attempt(forwardedFor(app, "198.51.100.200"), "carol", strongPassword), limits.Window)
				wantThrottled(t, attempt(app.Browser(), "carol", strongPassword), limits.Window)
			})

			t.Run("a connection from an address TRUSTED_PROXIES does not list has its X-Forwarded-For ignored", func(t *testing.T) {
				app, _ := fresh(t, "10.0.0.0/8", "::1/128")
				register(t, app, "carol")
				for i := range limits.PerAddr {
					fail(t, forwardedFor(app, "198.51.100."+itoa(i+1)), "guess"+itoa(i))
				}

				wantThrottled(t, attempt(forwardedFor(app, "198.51.100.200"), "carol", strongPassword), limits.Window)
			})

			t.Run("behind a trusted proxy, the forwarded address is counted", func(t *testing.T) {
				app, _ := fresh(t, loopback)
				register(t, app, "carol")

				spray(t, forwardedFor(app, "203.0.113.7"), "guess", limits.PerAddr)

				wantThrottled(t, attempt(forwardedFor(app, "203.0.113.7"), "carol", strongPassword), limits.Window)
			})

			t.Run("a forged chain \"forged, real\" counts against the nearest untrusted hop, whatever the forged part", func(t *testing.T) {
				app, _ := fresh(t, loopback)
				register(t, app, "carol")
				for i := range limits.PerAddr {
					fail(t, forwardedFor(app, "198.51.100."+itoa(i+1)+", 203.0.113.7"), "guess"+itoa(i))
				}

				wantThrottled(t, attempt(forwardedFor(app, "198.51.100.200, 203.0.113.7"), "carol", strongPassword), limits.Window)
				wantThrottled(t, attempt(forwardedFor(app, "not-an-address, 203.0.113.7"), "carol", strongPassword), limits.Window)
				wantThrottled(t, attempt(forwardedFor(app, "203.0.113.7"), "carol", strongPassword), limits.Window)
			})

			t.Run("behind a chain of trusted proxies, the address before them is counted", func(t *testing.T) {
				app, _ := fresh(t, loopback, "10.0.0.0/8")
				register(t, app, "carol")
				for i := range limits.PerAddr {
					// Each attempt through another inner proxy.
					fail(t, forwardedFor(app, "203.0.113.7, 10.0.0."+itoa(i+1)), "guess"+itoa(i))
				}

				wantThrottled(t, attempt(forwardedFor(app, "203.0.113.7"), "carol", strongPassword), limits.Window)
			})

			t.Run("spellings of one IPv6 address share its count", func(t *testing.T) {
				app, _ := fresh(t, loopback)
				register(t, app, "carol")
				spellings := []string{"2001:db8::7", "2001:DB8::7", "2001:db8:0:0::7", "[2001:db8::7]", "2001:0db8::0007"}
				for i := range limits.PerAddr {
					fail(t, forwardedFor(app, spellings[i%len(spellings)]), "guess"+itoa(i))
				}

				wantThrottled(t, attempt(forwardedFor(app, "2001:db8::7"), "carol", strongPassword), limits.Window)
			})
		})

		t.Run("429 per network", func(t *testing.T) {
			t.Run("the addresses of one IPv6 /64 share its count: a client cannot escape its limit by moving within its network", func(t *testing.T) {
				app, _ := fresh(t, loopback)
				register(t, app, "carol")
				for i := range limits.PerAddr {
					fail(t, forwardedFor(app, "2001:db8:1:2::"+itoa(i+1)), "guess"+itoa(i))
				}

				wantThrottled(t, attempt(forwardedFor(app, "2001:db8:1:2:ffff:ffff:ffff:ffff"), "carol", strongPassword), limits.Window)
				wantThrottled(t, attempt(forwardedFor(app, "2001:db8:1:2::"), "carol", strongPassword), limits.Window)
			})

			t.Run("an IPv4 address and its IPv4-mapped IPv6 spelling share a count", func(t *testing.T) {
				app, _ := fresh(t, loopback)
				register(t, app, "carol")
				for i := range limits.PerAddr {
					fail(t, forwardedFor(app, []string{"203.0.113.7", "::ffff:203.0.113.7"}[i%2]), "guess"+itoa(i))
				}

				wantThrottled(t, attempt(forwardedFor(app, "203.0.113.7"), "carol", strongPassword), limits.Window)
				wantThrottled(t, attempt(forwardedFor(app, "::ffff:cb00:7107"), "carol", strongPassword), limits.Window)
			})
		})

		t.Run("200 per network", func(t *testing.T) {
			t.Run("the next IPv6 /64 has a count of its own", func(t *testing.T) {
				app, _ := fresh(t, loopback)
				carol := register(t, app, "carol")
				spray(t, forwardedFor(app, "2001:db8:1:2::1"), "guess", limits.PerAddr)
				wantThrottled(t, attempt(forwardedFor(app, "2001:db8:1:2::1"), "carol", strongPassword), limits.Window)

				b := forwardedFor(app, "2001:db8:1:3::1")
				login(t, b, "carol")

				wantAuthenticatedAs(t, b, carol)
			})

			t.Run("IPv4 addresses are counted one by one, whatever their network", func(t *testing.T) {
				app, _ := fresh(t, loopback)
				register(t, app, "carol")
				spray(t, forwardedFor(app, "203.0.113.1"), "guess", limits.PerAddr)
				wantThrottled(t, attempt(forwardedFor(app, "203.0.113.1"), "carol", strongPassword), limits.Window)

				login(t, forwardedFor(app, "203.0.113.2"), "carol")
				login(t, forwardedFor(app, "::ffff:203.0.113.2"), "carol")
			})
		})

		t.Run("200", func(t *testing.T) {
			t.Run("behind a trusted proxy, two forwarded addresses have separate counts", func(t *testing.T) {
				app, clk := fresh(t, loopback)
				register(t, app, "carol")
				spray(t, forwardedFor(app, "203.0.113.1"), "one", limits.PerAddr-1)
				clk.Advance(time.Minute)
				spray(t, forwardedFor(app, "203.0.113.2"), "two", limits.PerAddr-1)

				login(t, forwardedFor(app, "203.0.113.1"), "carol")
				login(t, forwardedFor(app, "203.0.113.2"), "carol")
			})

			t.Run("behind a trusted proxy, one forwarded address's limit leaves the others and the proxy's own requests alone", func(t *testing.T) {
				app, _ := fresh(t, loopback)
				register(t, app, "carol")
				spray(t, forwardedFor(app, "203.0.113.1"), "guess", limits.PerAddr)
				wantThrottled(t, attempt(forwardedFor(app, "203.0.113.1"), "carol", strongPassword), limits.Window)

				login(t, forwardedFor(app, "203.0.113.2"), "carol")
				login(t, app.Browser(), "carol") // from the proxy itself
			})

			t.Run("the forged hops of a chain are not charged", func(t *testing.T) {
				app, _ := fresh(t, loopback)
				register(t, app, "carol")
				for i := range limits.PerAddr {
					fail(t, forwardedFor(app, "198.51.100.1, 203.0.113.7"), "guess"+itoa(i))
				}
				wantThrottled(t, attempt(forwardedFor(app, "203.0.113.7"), "carol", strongPassword), limits.Window)

				login(t, forwardedFor(app, "198.51.100.1"), "carol")
			})
		})
	})
}
