package apitest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/djsessions/api/internal/session"
)

// redisView is what the cache engine stores: under its prefix, the signed
// data at <key>, expiring with the session, and its user and other
// metadata in a hash at meta:<key> (see package redisstore).
type redisView struct {
	rdb    *redis.Client
	prefix string
}

func (v redisView) get(t testing.TB, key string) (Stored, bool) {
	t.Helper()
	ctx := context.Background()
	var get *redis.StringCmd
	var expire *redis.DurationCmd
	_, err := v.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		get = p.Get(ctx, v.prefix+key)
		expire = p.PExpireTime(ctx, v.prefix+key)
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

// keys returns the keys of the stored sessions: the part after the prefix,
// when that is a session key and not meta:… or user:….
func (v redisView) keys(t testing.TB, pattern string) []string {
	t.Helper()
	ctx := context.Background()
	var keys []string
	iter := v.rdb.Scan(ctx, 0, v.prefix+pattern, 1000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, strings.TrimPrefix(iter.Val(), v.prefix))
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("apitest: listing the sessions in Redis: %v", err)
	}
	return keys
}

func (v redisView) count(t testing.TB) int {
	t.Helper()
	n := 0
	for _, k := range v.keys(t, "*") {
		if session.ValidKey(k) {
			n++
		}
	}
	return n
}

// countOf reads every session's metadata rather than the user's set, the
// index under test.
func (v redisView) countOf(t testing.TB, userID int64) int {
	t.Helper()
	ctx := context.Background()
	n := 0
	for _, m := range v.keys(t, "meta:*") {
		key := strings.TrimPrefix(m, "meta:")
		owner, err := v.rdb.HGet(ctx, v.prefix+m, "user_id").Int64()
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
	set, err := v.rdb.PExpireAt(ctx, v.prefix+key, at).Result()
	if err != nil || !set {
		t.Fatalf("apitest: PEXPIREAT of the session %s: %v, %v", key, set, err)
	}
	if err := v.rdb.PExpireAt(ctx, v.prefix+"meta:"+key, at).Err(); err != nil {
		t.Fatalf("apitest: PEXPIREAT of the session %s's metadata: %v", key, err)
	}
}

func (v redisView) setData(t testing.TB, key, data string) {
	t.Helper()
	err := v.rdb.SetArgs(context.Background(), v.prefix+key, data, redis.SetArgs{Mode: "XX", KeepTTL: true}).Err()
	if err != nil {
		t.Fatalf("apitest: replacing the session %s in Redis: %v", key, err)
	}
}

func (v redisView) remove(t testing.TB, key string) {
	t.Helper()
	n, err := v.rdb.Del(context.Background(), v.prefix+key, v.prefix+"meta:"+key).Result()
	if err != nil || n == 0 {
		t.Fatalf("apitest: deleting the session %s from Redis: %d keys deleted, %v", key, n, err)
	}
}

func (v redisView) lock(t testing.TB, _ string) heldLock {
	t.Helper()
	t.Skip("the cache engine's writes take no lock a test could hold: they are optimistic (WATCH, MULTI/EXEC, retried on a conflict)")
	return nil
}
