// Package testredis gives tests the machine's real Redis, each test under a
// key prefix of its own whose keys are deleted when it ends, so that tests
// running at once, or a deployment sharing the Redis, never see each
// other's keys.
package testredis

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/djsessions/api/internal/session/redisstore"
)

// URL is the Redis the tests use: TEST_REDIS_URL, or the local default.
func URL() string { return cmp.Or(os.Getenv("TEST_REDIS_URL"), "redis://127.0.0.1:6379/0") }

// Client returns a client of the test Redis, closed when the test ends.
func Client(t testing.TB) *redis.Client {
	t.Helper()
	c, err := redisstore.NewClient(URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("Redis is needed for this test (start it, or set TEST_REDIS_URL): %v", err)
	}
	return c
}

// Prefix returns a key prefix of the test's own, whose keys are deleted when
// the test ends.
func Prefix(t testing.TB, c *redis.Client) string {
	t.Helper()
	return PrefixFor(t, c, rand.Text())
}

// PrefixFor returns the key prefix of seed, whose keys are deleted when the
// test ends: API processes of one test that share a database (seed: its
// URL) share their cache, as a deployment's processes do.
func PrefixFor(t testing.TB, c *redis.Client, seed string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(seed))
	prefix := "test:" + hex.EncodeToString(sum[:10]) + ":" // nothing SCAN's MATCH would read as a pattern
	t.Cleanup(func() {
		ctx := context.Background()
		var keys []string
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if err := iter.Err(); err != nil {
			t.Errorf("deleting the keys under %s: %v", prefix, err)
			return
		}
		if len(keys) > 0 {
			if err := c.Del(ctx, keys...).Err(); err != nil {
				t.Errorf("deleting the keys under %s: %v", prefix, err)
			}
		}
	})
	return prefix
}
