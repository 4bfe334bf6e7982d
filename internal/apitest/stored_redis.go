package apitest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/testredis"
)

// redisView is what the cache engine stores: under its prefix, the signed
// data at {<key>}, expiring with the session, and its user and other
// metadata in a hash at {<key>}:meta (see package redisstore).
type redisView struct {
	rdb    redis.UniversalClient
	prefix string
}

func (v redisView) dataKey(key string) string { return v.prefix + "{" + key + "}" }
func (v redisView) metaKey(key string) string { return v.prefix + "{" + key + "}:meta" }

func (v redisView) get(t testing.TB, key string) (Stored, bool) {
	t.Helper()
	ctx := context.Background()
	var get *redis.StringCmd
	var expire *redis.DurationCmd
	_, err := v.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		get = p.Get(ctx, v.dataKey(key))
		expire = p.PExpireTime(ctx, v.dataKey(key))
		return nil
	})
	if errors.Is(get.Err(), redis.Nil) {
		return Stored{}, false
	}
	if err != nil {
		t.Fatalf("apitest: reading the session from Redis: %v", err)
	}
	ms := expire.Val() // PEXPIRETIME's milliseconds, as a Duration
	if ms < 0 {
		t.Fatalf("apitest: the session %s has no expiry in Redis (PEXPIRETIME %d)", key, ms)
	}
	return Stored{Data: get.Val(), Expire: time.UnixMilli(int64(ms / time.Millisecond)).UTC()}, true
}

// keys returns the keys of the stored sessions.
func (v redisView) keys(t testing.TB) []string {
	t.Helper()
	all, err := testredis.Keys(context.Background(), v.rdb, v.prefix+"{*}")
	if err != nil {
		t.Fatalf("apitest: listing the sessions in Redis: %v", err)
	}
	var keys []string
	for _, k := range all {
		if k := strings.TrimSuffix(strings.TrimPrefix(k, v.prefix+"{"), "}"); session.ValidKey(k) {
			keys = append(keys, k)
		}
	}
	return keys
}

func (v redisView) count(t testing.TB) int {
	t.Helper()
	return len(v.keys(t))
}

// countOf reads every session's metadata rather than the user's set, the
// index under test.
func (v redisView) countOf(t testing.TB, userID int64) int {
	t.Helper()
	ctx := context.Background()
	n := 0
	for _, key := range v.keys(t) {
		owner, err := v.rdb.HGet(ctx, v.metaKey(key), "user_id").Int64()
		if errors.Is(err, redis.Nil) || owner != userID {
			continue
		}
		if _, found := v.get(t, key); found {
			n++
		}
	}
	return n
}

func (v redisView) setExpiry(t testing.TB, key string, at time.Time) {
	t.Helper()
	ctx := context.Background()
	set, err := v.rdb.PExpireAt(ctx, v.dataKey(key), at).Result()
	if err != nil || !set {
		t.Fatalf("apitest: PEXPIREAT of the session %s: %v, %v", key, set, err)
	}
	if err := v.rdb.PExpireAt(ctx, v.metaKey(key), at).Err(); err != nil {
		t.Fatalf("apitest: PEXPIREAT of the session %s's metadata: %v", key, err)
	}
}

func (v redisView) setData(t testing.TB, key, data string) {
	t.Helper()
	err := v.rdb.SetArgs(context.Background(), v.dataKey(key), data, redis.SetArgs{Mode: "XX", KeepTTL: true}).Err()
	if err != nil {
		t.Fatalf("apitest: replacing the session %s in Redis: %v", key, err)
	}
}

func (v redisView) remove(t testing.TB, key string) {
	t.Helper()
	n, err := v.rdb.Del(context.Background(), v.dataKey(key), v.metaKey(key)).Result()
	if err != nil || n == 0 {
		t.Fatalf("apitest: deleting the session %s from Redis: %d keys deleted, %v", key, n, err)
	}
}

func (v redisView) lock(t testing.TB, _ string) heldLock {
	t.Helper()
	t.Skip("the cache engine's writes take no lock a test could hold: they are optimistic (WATCH, MULTI/EXEC, retried on a conflict)")
	return nil
}
