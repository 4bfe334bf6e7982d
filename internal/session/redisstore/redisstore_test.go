package redisstore_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/session/redisstore"
	"github.com/djsessions/api/internal/session/sessiontest"
	"github.com/djsessions/api/internal/testredis"
)

// newClient returns a client of the test Redis, closed when the test ends.
func newClient(t testing.TB) redis.UniversalClient { return testredis.Client(t) }

// newStore returns a store under a key prefix of the test's own.
func newStore(t testing.TB, c redis.UniversalClient) *redisstore.Store {
	t.Helper()
	return redisstore.New(c, testredis.Prefix(t, c))
}

func TestStoreConformance(t *testing.T) {
	c := newClient(t)
	sessiontest.Run(t, func(t *testing.T) session.Store { return newStore(t, c) },
		sessiontest.ExpiresByItself())
}

// A key that no test writes, for the tests where nothing is written.
const someKey = "redisstoretest000000000000000001"

// later is an expiry an hour from now, to the millisecond as Redis keeps it.
func later() time.Time { return time.Now().Add(time.Hour).Truncate(time.Millisecond) }

func TestAnUnreachableRedisIsAFailureNeverAMissingSession(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now: connections are refused
	// No retries: each call fails at once rather than after go-redis's
	// second of redials, which would say nothing more.
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialerRetries: 1})
	t.Cleanup(func() { c.Close() })
	st := redisstore.New(c, "")

	ctx := context.Background()
	r := session.Record{Data: "data", Expiry: later(), Meta: session.Meta{UserID: 7}}
	edit := func(string) (session.Record, error) {
		t.Error("edit was called without the stored data")
		return r, nil
	}
	for _, tc := range []struct {
		op   string
		call func() error
	}{
		{"Load", func() error {
			_, found, err := st.Load(ctx, someKey)
			if found {
				t.Error("Load found a session")
			}
			return err
		}},
		{"Create", func() error { return st.Create(ctx, someKey, session.Record{Data: "data", Expiry: later()}) }},
		{"Create with meta", func() error { return st.Create(ctx, someKey, r) }},
		{"Update", func() error { return st.Update(ctx, someKey, edit) }},
		{"Rotate", func() error { return st.Rotate(ctx, someKey, "redisstoretest000000000000000002", edit) }},
		{"Delete", func() error { return st.Delete(ctx, someKey) }},
		{"ByUser", func() error { _, err := st.ByUser(ctx, 7, time.Now()); return err }},
		{"DeleteByUser", func() error { _, err := st.DeleteByUser(ctx, 7, ""); return err }},
	} {
		err := tc.call()
		if err == nil || errors.Is(err, session.ErrNotFound) || errors.Is(err, session.ErrKeyExists) {
			t.Errorf("%s on an unreachable Redis: %v; want a failure", tc.op, err)
		}
	}

	// So the Manager answers 503, rather than with an empty session that
	// would log the user out.
	m := session.NewManager(st, session.NewSigner(session.SaltStore, "django-insecure-test"), session.Options{})
	if _, err := m.Load(ctx, someKey); !errors.Is(err, session.ErrUnavailable) {
		t.Fatalf("Manager.Load on an unreachable Redis: %v; want ErrUnavailable", err)
	}
}

func TestARedisThatHangsFailsWhenTheContextEnds(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() { // accepts connections and never answers
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { conn.Close() })
		}
	}()
	c, err := redisstore.NewClient("redis://" + l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, found, err := redisstore.New(c, "").Load(ctx, someKey)
	if err == nil || found {
		t.Fatalf("Load from a Redis that never answers: found %v, err %v; want a failure", found, err)
	}
	// go-redis's own read timeout is 3 s; the context's deadline must win.
	if waited := time.Since(start); waited > 2*time.Second {
		t.Fatalf("Load gave up after %v, not when its context ended", waited)
	}
}

func TestPrefixesKeepTwoDeploymentsApart(t *testing.T) {
	c := newClient(t)
	ctx := context.Background()
	one, two := newStore(t, c), newStore(t, c)
	mine := session.Meta{UserID: 7}
	must(t, one.Create(ctx, someKey, session.Record{Data: "one", Expiry: later(), Meta: mine}))
	must(t, two.Create(ctx, someKey, session.Record{Data: "two", Expiry: later(), Meta: mine}))

	deleted, err := one.DeleteByUser(ctx, 7, "")
	n := len(deleted)
	must(t, err)
	if n != 1 {
		t.Fatalf("DeleteByUser deleted %d sessions, want the one of its own deployment", n)
	}
	if data, found, err := two.Load(ctx, someKey); err != nil || data != "two" {
		t.Fatalf("the other deployment's session: %q, found %v, err %v", data, found, err)
	}
	if entries, err := two.ByUser(ctx, 7, time.Now()); err != nil || len(entries) != 1 {
		t.Fatalf("the other deployment's user index: %+v, %v", entries, err)
	}
}

func TestEverythingKeptOfASessionExpiresWithIt(t *testing.T) {
	c := newClient(t)
	ctx := context.Background()
	prefix := testredis.Prefix(t, c)
	st := redisstore.New(c, prefix)
	expiresAt := func(key string) time.Time {
		t.Helper()
		ms, err := c.PExpireTime(ctx, key).Result()
		must(t, err)
		if ms < 0 {
			t.Fatalf("%s: PEXPIRETIME %d, want an expiry", key, ms)
		}
		return time.UnixMilli(int64(ms / time.Millisecond))
	}
	wantExpiry := func(want time.Time, keys ...string) {
		t.Helper()
		for _, k := range keys {
			if got := expiresAt(k); !got.Equal(want) {
				t.Fatalf("%s expires at %v, want %v", k, got, want)
			}
		}
	}
	data, meta, user := prefix+"{"+someKey+"}", prefix+"{"+someKey+"}:meta", prefix+"user:7"

	first := later()
	must(t, st.Create(ctx, someKey, session.Record{Data: "a", Expiry: first, Meta: session.Meta{UserID: 7}}))
	wantExpiry(first, data, meta, user)

	// A save that carries no Meta still keeps the user's set alive, or
	// logout everywhere would miss this session once the set expired.
	extended := first.Add(time.Hour)
	must(t, st.Update(ctx, someKey, func(string) (session.Record, error) {
		return session.Record{Data: "b", Expiry: extended}, nil
	}))
	wantExpiry(extended, data, meta, user)

	// A shorter session of the same user does not cut the set's life short.
	other := "redisstoretest000000000000000002"
	must(t, st.Create(ctx, other, session.Record{Data: "c", Expiry: first, Meta: session.Meta{UserID: 7}}))
	wantExpiry(extended, user)
}

func TestASessionWhoseUserChangedIsTheNewUsers(t *testing.T) {
	st := newStore(t, newClient(t))
	ctx := context.Background()
	must(t, st.Create(ctx, someKey, session.Record{Data: "a", Expiry: later(), Meta: session.Meta{UserID: 7}}))
	must(t, st.Update(ctx, someKey, func(string) (session.Record, error) {
		return session.Record{Data: "b", Expiry: later(), Meta: session.Meta{UserID: 8}}, nil
	}))

	if entries, err := st.ByUser(ctx, 7, time.Now()); err != nil || len(entries) != 0 {
		t.Fatalf("ByUser(7): %+v, %v; want none", entries, err)
	}
	if entries, err := st.ByUser(ctx, 8, time.Now()); err != nil || len(entries) != 1 || entries[0].Key != someKey {
		t.Fatalf("ByUser(8): %+v, %v; want the session", entries, err)
	}
	if deleted, err := st.DeleteByUser(ctx, 7, ""); err != nil || len(deleted) != 0 {
		t.Fatalf("DeleteByUser(7) = %v, %v; want nothing deleted", deleted, err)
	}
	if _, found, err := st.Load(ctx, someKey); err != nil || !found {
		t.Fatalf("Load: found %v, err %v; want the session", found, err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestALoggedOutSessionLeavesNothingBehind(t *testing.T) {
	c := newClient(t)
	prefix := testredis.Prefix(t, c)
	st := redisstore.New(c, prefix)
	ctx := context.Background()
	must(t, st.Create(ctx, someKey, session.Record{Data: "a", Expiry: later(), Meta: session.Meta{UserID: 7}}))

	must(t, st.Delete(ctx, someKey))

	// Not the session's keys, nor its place in its user's set: a user who
	// logs in and out all day does not grow a set until it expires.
	if keys, err := testredis.Keys(ctx, c, prefix+"*"); err != nil || len(keys) != 0 {
		t.Fatalf("keys under the prefix after Delete: %v, %v; want none", keys, err)
	}
}
