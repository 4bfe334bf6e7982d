package cachedb_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/session/cachedb"
	"github.com/djsessions/api/internal/session/dbstore"
	"github.com/djsessions/api/internal/session/redisstore"
	"github.com/djsessions/api/internal/session/sessiontest"
	"github.com/djsessions/api/internal/testdb"
	"github.com/djsessions/api/internal/testredis"
)

func TestStoreConformance(t *testing.T) {
	c := testredis.Client(t)
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		sessiontest.Run(t, func(t *testing.T) session.Store {
			return cachedb.New(dbstore.New(testdb.Open(t, newURL(t))),
				cachedb.NewRedisCache(c, testredis.Prefix(t, c)), nil, nil)
		})
	})
}

// process is one API process's store: its own connections to the shared
// database and the shared Redis.
func process(t *testing.T, db *sqlx.DB, redisURL, prefix string) *cachedb.Store {
	t.Helper()
	rdb, err := redisstore.NewClient(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	return cachedb.New(dbstore.New(db), cachedb.NewRedisCache(rdb, prefix), nil, nil)
}

const key = "cachedbtest00000000000000000001a"

func record(data string) session.Record {
	return session.Record{Data: data, Expiry: time.Now().Add(time.Hour)}
}

func set(data string) session.Edit {
	return func(string) (session.Record, error) { return record(data), nil }
}

func mustLoad(t *testing.T, st session.Store, want string, wantFound bool) {
	t.Helper()
	got, found, err := st.Load(context.Background(), key)
	if err != nil || found != wantFound || got != want {
		t.Fatalf("Load = %q, found %v, err %v; want %q, found %v", got, found, err, want, wantFound)
	}
}

func TestAChangeOnOneProcessIsSeenByTheOthersAtOnce(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t, testdb.PostgresURL(t))
	prefix := testredis.Prefix(t, testredis.Client(t))
	a, b := process(t, db, testredis.URL(), prefix), process(t, db, testredis.URL(), prefix)

	if err := a.Create(ctx, key, record("v1")); err != nil {
		t.Fatal(err)
	}
	mustLoad(t, b, "v1", true) // b's cache now holds it too: it is the same cache
	if err := a.Update(ctx, key, set("v2")); err != nil {
		t.Fatal(err)
	}
	mustLoad(t, b, "v2", true)
	if err := a.Delete(ctx, key); err != nil { // a logout
		t.Fatal(err)
	}
	mustLoad(t, b, "", false)
}

func TestARevokeByUserLeavesTheCacheToo(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t, testdb.PostgresURL(t))
	prefix := testredis.Prefix(t, testredis.Client(t))
	a, b := process(t, db, testredis.URL(), prefix), process(t, db, testredis.URL(), prefix)

	r := record("logged in")
	r.Meta = session.Meta{UserID: 7}
	if err := a.Create(ctx, key, r); err != nil {
		t.Fatal(err)
	}
	mustLoad(t, b, "logged in", true)
	if _, err := a.DeleteByUser(ctx, 7, ""); err != nil {
		t.Fatal(err)
	}
	mustLoad(t, b, "", false)
}

func TestWithRedisDownSessionsAreServedFromTheDatabase(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t, testdb.PostgresURL(t))
	proxy := testredis.NewProxy(t)
	st := process(t, db, proxy.URL(), testredis.Prefix(t, testredis.Client(t)))
	if err := st.Check(ctx); err != nil {
		t.Fatalf("Check with Redis up: %v", err)
	}

	proxy.Down()
	if err := st.Create(ctx, key, record("v1")); err != nil {
		t.Fatalf("Create with Redis down: %v", err)
	}
	mustLoad(t, st, "v1", true)
	if err := st.Update(ctx, key, set("v2")); err != nil {
		t.Fatalf("Update with Redis down: %v", err)
	}
	mustLoad(t, st, "v2", true)
	if err := st.Check(ctx); err == nil {
		t.Fatal("Check with Redis down reports nothing: readiness would not show the degradation")
	}

	proxy.Up()
	mustLoad(t, st, "v2", true)
	waitReady(t, st)
}

// waitReady waits for st's cache to answer again: go-redis redials a pool
// that failed to dial in the background, about once a second.
func waitReady(t *testing.T, st *cachedb.Store) {
	t.Helper()
	var err error
	for range 100 {
		if err = st.Check(context.Background()); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("Check once Redis is back: %v", err)
}

func TestAnEntryLeftStaleWhileRedisWasUnreachableIsNeverServed(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t, testdb.PostgresURL(t))
	proxy := testredis.NewProxy(t)
	st := process(t, db, proxy.URL(), testredis.Prefix(t, testredis.Client(t)))

	if err := st.Create(ctx, key, record("logged in")); err != nil {
		t.Fatal(err)
	}
	mustLoad(t, st, "logged in", true) // cached

	// Redis keeps running, but this process cannot reach it while the
	// session is logged out: the cache still holds it.
	proxy.Down()
	if err := st.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	proxy.Up()
	waitReady(t, st)
	mustLoad(t, st, "", false)
}

// While Redis is unreachable, every request goes to the database, at its
// pace: none waits for the others' attempts to reach the cache, which a
// client that retries a dead Redis makes slow. Here, as many loads at once
// as a busy process serves, each within the Manager's store timeout.
func TestWithRedisDownConcurrentRequestsAreServedFromTheDatabase(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t, testdb.PostgresURL(t))
	proxy := testredis.NewProxy(t)
	st := process(t, db, proxy.URL(), testredis.Prefix(t, testredis.Client(t)))
	if err := st.Create(ctx, key, record("v1")); err != nil {
		t.Fatal(err)
	}
	mustLoad(t, st, "v1", true)

	proxy.Down()
	mustLoad(t, st, "v1", true) // the failure that makes the cache suspect
	const requests = 8
	errs := make(chan error, requests)
	for range requests {
		go func() {
			ctx, cancel := context.WithTimeout(ctx, 5*time.Second) // session.Options.StoreTimeout's default
			defer cancel()
			data, found, err := st.Load(ctx, key)
			if err == nil && (!found || data != "v1") {
				err = fmt.Errorf("Load = %q, found %v", data, found)
			}
			errs <- err
		}()
	}
	for range requests {
		if err := <-errs; err != nil {
			t.Errorf("a load with Redis down: %v", err)
		}
	}
}

// A session the cache did not hold (written by Django, or by any process
// while the cache was flushed after an outage) is cached when first read:
// until its own expiry, never past it.
func TestARefilledEntryExpiresWithItsSession(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t, testdb.PostgresURL(t))
	st := process(t, db, testredis.URL(), testredis.Prefix(t, testredis.Client(t)))
	expiry := time.Now().Add(time.Second)
	if err := dbstore.New(db).Create(ctx, key, session.Record{Data: "short", Expiry: expiry}); err != nil {
		t.Fatal(err)
	}
	mustLoad(t, st, "short", true) // a miss, and a refill

	time.Sleep(time.Until(expiry) + 10*time.Millisecond)
	mustLoad(t, st, "", false)
}

// peer is an API process's store that hears from the others, as
// sessionengine builds it on PostgreSQL.
func peer(t *testing.T, dsn, redisURL, prefix string) *cachedb.Store {
	t.Helper()
	db := testdb.Open(t, dsn)
	rdb, err := redisstore.NewClient(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	peers := cachedb.NewPostgresPeers(db)
	st := cachedb.New(dbstore.New(db), cachedb.NewRedisCache(rdb, prefix), peers, nil)
	ctx, stop := context.WithCancel(context.Background())
	t.Cleanup(stop)
	if err := peers.Listen(ctx, dsn, st.Invalidate, nil); err != nil {
		t.Fatal(err)
	}
	return st
}

// eventually waits for st to load want (found or not), as the word of a
// peer travels through PostgreSQL's notifications.
func eventually(t *testing.T, st *cachedb.Store, want string, wantFound bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, found, err := st.Load(context.Background(), key)
		if err == nil && found == wantFound && got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Load = %q, found %v, err %v; want %q, found %v", got, found, err, want, wantFound)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// One process cannot reach Redis while the others can: what it changes or
// logs out, it cannot update in the cache, which the others read. It tells
// them through PostgreSQL, and they stop serving the copies it left.
func TestAProcessCutFromRedisTellsTheOthersWhatItCouldNotUpdate(t *testing.T) {
	ctx := context.Background()
	dsn := testdb.PostgresURL(t)
	prefix := testredis.Prefix(t, testredis.Client(t))
	proxy := testredis.NewProxy(t)
	cut, other := peer(t, dsn, proxy.URL(), prefix), peer(t, dsn, testredis.URL(), prefix)

	if err := other.Create(ctx, key, record("v1")); err != nil {
		t.Fatal(err)
	}
	mustLoad(t, other, "v1", true) // in the cache both share

	proxy.Down()
	if err := cut.Update(ctx, key, set("v2")); err != nil {
		t.Fatal(err)
	}
	eventually(t, other, "v2", true)
	if err := cut.Delete(ctx, key); err != nil { // a logout
		t.Fatal(err)
	}
	eventually(t, other, "", false)
}
