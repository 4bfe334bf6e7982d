package faults_test

import (
	"net/http"
	"os"
	"os/exec"
	"sync/atomic"
	"testing"
	"time"
)

// TestAPostgreSQLRestartUnderLoad restarts the API's PostgreSQL mid-load:
// the whole server, not a connection. It needs a PostgreSQL of its own,
// which no one else uses, and so does not run in `make test`:
// scripts/pg-restart.sh starts a private cluster and runs it, with
//
//	FAULTS_PG_RESTART_URL  the private cluster's URL
//	FAULTS_PG_RESTART      the shell command that restarts it, and returns
//	                       once it accepts connections again
func TestAPostgreSQLRestartUnderLoad(t *testing.T) {
	url, restart := os.Getenv("FAULTS_PG_RESTART_URL"), os.Getenv("FAULTS_PG_RESTART")
	if url == "" || restart == "" {
		t.Skip("needs a PostgreSQL of its own to restart: run scripts/pg-restart.sh")
	}
	p := startProcess(t, processEnv(url, nil))
	carts := firstAdds(t, p.URL, 3)
	acked := make([]atomic.Int64, len(carts))
	sent := make([]atomic.Int64, len(carts))
	ready := probeReadiness(t, p.URL, "up")
	l := startLoad(t, 2*len(carts), "up", func(w, i int) answer {
		c := w % len(carts)
		if i%2 == 1 {
			return carts[c].get("/api/cart")
		}
		sent[c].Add(1)
		a := carts[c].post("/api/cart/items", map[string]int{"product_id": 1 + (i/2)%8, "quantity": 1})
		if a.err == nil && a.status == http.StatusOK {
			acked[c].Add(1)
		}
		return a
	})
	phase := func(name string) { l.Phase(name); ready.Phase(name) }
	time.Sleep(2 * time.Second)

	phase("restarting")
	t0 := time.Now()
	if out, err := exec.Command("sh", "-c", restart).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", restart, err, out)
	}
	restarted := time.Since(t0)
	phase("back")
	waitFor(t, 30*time.Second, func() bool { return newClient(p.URL).get("/readyz").status == http.StatusOK })
	ready200 := time.Since(t0)
	phase("recovered")
	time.Sleep(2 * time.Second)
	l.Stop()
	ready.Stop()
	t.Logf("the restart took %v; /readyz answered 200 %v after it began", restarted.Round(time.Millisecond), ready200.Round(time.Millisecond))

	l.Only("up", http.StatusOK)
	l.Only("recovered", http.StatusOK)
	l.Within("restarting", http.StatusOK, http.StatusServiceUnavailable)
	l.Within("back", http.StatusOK, http.StatusServiceUnavailable)
	l.Spanning(http.StatusOK, http.StatusServiceUnavailable)
	ready.Only("up", http.StatusOK)
	ready.Only("recovered", http.StatusOK)
	for i, c := range carts {
		got, ack, n := c.cartItems(t), 1+int(acked[i].Load()), 1+int(sent[i].Load())
		t.Logf("cart %d: %d adds answered 200, %d in the cart, %d sent", i, ack, got, n)
		if got < ack || got > n {
			t.Errorf("cart %d: %d items; want from %d (answered 200) to %d (sent)", i, got, ack, n)
		}
	}
}
