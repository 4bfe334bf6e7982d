package cachedb_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/djsessions/api/internal/session/cachedb"
	"github.com/djsessions/api/internal/session/dbstore"
	"github.com/djsessions/api/internal/testdb"
)

// fakeCache is a cache in memory that the test takes down and brings back,
// and that records the calls made to it.
type fakeCache struct {
	mu      sync.Mutex
	down    bool
	data    map[string]string
	calls   []string      // "get", "flush", …, in order
	gate    chan struct{} // when set, Flush waits for it to close
	flushed chan struct{} // when set, Flush signals it has begun
}

var errDown = errors.New("cache down")

func newFakeCache() *fakeCache { return &fakeCache{data: map[string]string{}} }

func (c *fakeCache) setDown(down bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.down = down
}

func (c *fakeCache) record(call string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, call)
	if c.down {
		return errDown
	}
	return nil
}

func (c *fakeCache) count(call string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, got := range c.calls {
		if got == call {
			n++
		}
	}
	return n
}

func (c *fakeCache) Get(_ context.Context, key string) (string, bool, error) {
	if err := c.record("get"); err != nil {
		return "", false, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.data[key]
	return v, ok, nil
}

func (c *fakeCache) Set(_ context.Context, key, value string, _ time.Time) error {
	if err := c.record("set"); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.data[key] = value
	return nil
}

func (c *fakeCache) Add(_ context.Context, key, value string, _ time.Time) error {
	if err := c.record("add"); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.data[key]; !ok {
		c.data[key] = value
	}
	return nil
}

func (c *fakeCache) Delete(_ context.Context, keys ...string) error {
	if err := c.record("delete"); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		delete(c.data, k)
	}
	return nil
}

func (c *fakeCache) Flush(context.Context) error {
	c.mu.Lock()
	gate, flushed := c.gate, c.flushed
	c.mu.Unlock()
	if flushed != nil {
		close(flushed)
	}
	if gate != nil {
		<-gate
	}
	if err := c.record("flush"); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.data)
	return nil
}

var _ cachedb.Cache = (*fakeCache)(nil)

// With Redis down, every load used to flush the cache, to see whether it
// was back, under a lock that every other load waited on: a process served
// its sessions from the database one at a time, each after a failed round
// trip to Redis.
func TestWhileTheCacheIsDownLoadsGoToTheDatabaseWithoutProbingItEachTime(t *testing.T) {
	ctx := context.Background()
	cache := newFakeCache()
	st := cachedb.New(dbstore.New(testdb.Open(t, testdb.SQLiteURL(t))), cache, nil, nil)
	cache.setDown(true)
	if err := st.Create(ctx, key, record("v1")); err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() { mustLoad(t, st, "v1", true) })
	}
	wg.Wait()
	if n := cache.count("flush"); n > 1 {
		t.Fatalf("50 loads within a second flushed the cache %d times, want at most once", n)
	}
	if err := st.Check(ctx); err == nil {
		t.Fatal("Check reports a cache that is down as usable")
	}
}

func TestAWriteWhileTheCacheIsFlushedLeavesNoStaleEntry(t *testing.T) {
	ctx := context.Background()
	cache := newFakeCache()
	st := cachedb.New(dbstore.New(testdb.Open(t, testdb.SQLiteURL(t))), cache, nil, nil)
	cache.setDown(true)
	if err := st.Create(ctx, key, record("v1")); err != nil { // the cache is now suspect
		t.Fatal(err)
	}
	cache.setDown(false)

	// A load probes the cache; while its flush runs, a write fails to
	// reach the cache.
	gate, flushed := make(chan struct{}), make(chan struct{})
	cache.mu.Lock()
	cache.gate, cache.flushed = gate, flushed
	cache.mu.Unlock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, found, err := st.Load(ctx, key); err != nil || !found {
			t.Errorf("Load during the flush: found %v, err %v", found, err)
		}
	}()
	<-flushed
	cache.setDown(true)
	updated := make(chan error, 1)
	go func() { updated <- st.Update(ctx, key, set("v2")) }()
	select {
	case err := <-updated:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		close(gate)
		t.Fatal("a write waited for the cache's flush")
	}
	cache.setDown(false)
	cache.mu.Lock()
	cache.gate, cache.flushed = nil, nil
	cache.mu.Unlock()
	close(gate)
	<-done

	// The write did not reach the cache while it was suspect, and the
	// flush removed what it held: what is read is the write's.
	mustLoad(t, st, "v2", true)
	mustLoad(t, st, "v2", true)
}
