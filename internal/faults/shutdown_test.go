package faults_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/djsessions/api/internal/testdb"
)

// cartLoad is workers adding one item at a time to carts, several to each,
// counting by cart the adds sent and those answered 200.
type cartLoad struct {
	sent, acked []atomic.Int64
	stop        chan struct{}
	wg          sync.WaitGroup

	mu    sync.Mutex
	other map[string]int // answers other than 200: a status, or the error
}

// startCartLoad starts perCart workers on each of carts, each of which
// has a session already.
func startCartLoad(carts []*client, perCart int) *cartLoad {
	l := &cartLoad{
		sent: make([]atomic.Int64, len(carts)), acked: make([]atomic.Int64, len(carts)),
		stop: make(chan struct{}), other: map[string]int{},
	}
	for c, cart := range carts {
		for w := range perCart {
			l.wg.Go(func() {
				for i := w; ; i += perCart {
					select {
					case <-l.stop:
						return
					default:
					}
					l.sent[c].Add(1)
					a := cart.post("/api/cart/items", map[string]int{"product_id": 1 + i%8, "quantity": 1})
					if a.err == nil && a.status == http.StatusOK {
						l.acked[c].Add(1)
						continue
					}
					l.mu.Lock()
					l.other[outcome(a)]++
					l.mu.Unlock()
					if a.err != nil {
						time.Sleep(10 * time.Millisecond) // the server is gone: no need to spin
					}
				}
			})
		}
	}
	return l
}

// outcome names what a request that was not answered 200 got: its
// status, or what became of its connection.
func outcome(a answer) string {
	if a.err == nil {
		return fmt.Sprint(a.status)
	}
	for _, what := range []string{"connection refused", "connection reset", "EOF"} {
		if strings.Contains(a.err.Error(), what) {
			return what
		}
	}
	return a.err.Error()
}

// Stop stops the workers and waits for their last requests.
func (l *cartLoad) Stop() {
	close(l.stop)
	l.wg.Wait()
}

// firstAdds gives each of n new browsers of base a cart of one item, so
// that the workers that share a browser share its session from the start.
func firstAdds(t testing.TB, base string, n int) []*client {
	t.Helper()
	carts := make([]*client, n)
	for i := range carts {
		carts[i] = newClient(base)
		must(t, carts[i].post("/api/cart/items", map[string]int{"product_id": 1, "quantity": 1}), http.StatusOK)
	}
	return carts
}

func TestEveryCartAddAnsweredBeforeASIGKILLIsInTheCartAfterTheRestart(t *testing.T) {
	t.Parallel()
	env := processEnv(testdb.PostgresURL(t), nil)
	p := startProcess(t, env)
	carts := firstAdds(t, p.URL, 3)

	l := startCartLoad(carts, 3)
	time.Sleep(1500 * time.Millisecond)
	p.Kill()
	l.Stop()

	p = startProcess(t, env)
	for i, c := range carts {
		c.base = p.URL
		got := c.cartItems(t)
		acked, sent := 1+int(l.acked[i].Load()), 1+int(l.sent[i].Load())
		t.Logf("cart %d: %d adds answered 200, %d in the cart after the restart, %d sent", i, acked, got, sent)
		if got < acked {
			t.Errorf("cart %d: %d items, but %d adds were answered 200: an acknowledged add was lost", i, got, acked)
		}
		if got > sent {
			t.Errorf("cart %d: %d items, but only %d adds were sent", i, got, sent)
		}
	}
	t.Logf("requests not answered 200 (in flight at the kill, or sent to the dead process): %v", l.other)
}

func TestOnSIGTERMTheRequestsInFlightFinishAndNoneFails(t *testing.T) {
	t.Parallel()
	name := uniqueName("faults_term")
	url, admin := namedDatabase(t, name)
	env := processEnv(url, map[string]string{"DATABASE_MAX_CONNS": "8"})
	p := startProcess(t, env)
	carts := firstAdds(t, p.URL, 3)
	for _, c := range carts {
		c.oneShot()
	}
	l := startCartLoad(carts[1:], 3)
	time.Sleep(500 * time.Millisecond)

	// Slow requests: adds to a cart whose session row another program
	// holds, waiting for it in the database when the signal comes.
	slow := carts[0]
	tx := admin.MustBegin()
	defer tx.Rollback()
	tx.MustExec(`SELECT 1 FROM django_session WHERE session_key = $1 FOR UPDATE`, sessionKey(t, slow))
	const slowAdds = 3
	slowAnswers := make([]answer, slowAdds)
	var slowWG sync.WaitGroup
	for i := range slowAnswers {
		slowWG.Go(func() {
			slowAnswers[i] = slow.post("/api/cart/items", map[string]int{"product_id": 2, "quantity": 1})
		})
	}
	waitFor(t, 5*time.Second, func() bool {
		var n int
		admin.Get(&n, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`, name)
		return n == slowAdds
	})

	p.Terminate()
	time.Sleep(time.Second)
	if !p.Running() {
		t.Fatal("the process exited with requests in flight")
	}
	tx.Rollback()
	if err := p.Exited(30 * time.Second); err != nil {
		t.Errorf("the process exited with %v after SIGTERM, want 0", err)
	}
	slowWG.Wait()
	l.Stop()

	for i, a := range slowAnswers {
		if a.err != nil || a.status != http.StatusOK {
			t.Errorf("slow add %d, in flight at SIGTERM: %s, want 200", i, a)
		}
	}
	// A connection that the closing listener had not accepted yet is
	// refused, or reset, or closed before its request is read (EOF): the
	// process never saw that request. Every request it did see, it
	// answered, 200, and the client got the answer.
	l.mu.Lock()
	for what, n := range l.other {
		if what != "connection refused" && what != "connection reset" && what != "EOF" {
			t.Errorf("%d requests got %s during the shutdown, want only 200, or a connection not accepted", n, what)
		}
	}
	t.Logf("requests not answered 200: %v", l.other)
	l.mu.Unlock()
	acked := 3 + slowAdds + int(l.acked[0].Load()+l.acked[1].Load())
	if got := p.Answered(http.MethodPost, "/api/cart/items"); len(got) != 1 || got[http.StatusOK] != acked {
		t.Errorf("the process answered cart adds %v; the clients got %d answers 200, and no other", got, acked)
	}

	// A request the server began, it finished: each cart holds exactly the
	// adds that were answered 200.
	p = startProcess(t, env)
	for i, c := range carts {
		c.base = p.URL
		want := 1 + int(l.acked[max(0, i-1)].Load())
		if i == 0 {
			want = 1 + slowAdds
		}
		if got := c.cartItems(t); got != want {
			t.Errorf("cart %d: %d items, want the %d adds answered 200", i, got, want)
		}
	}
}
