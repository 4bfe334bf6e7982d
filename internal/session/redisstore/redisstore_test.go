package redisstore_test

import (
	"cmp"
	"context"
	"crypto/rand"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/session/redisstore"
	"github.com/djsessions/api/internal/session/sessiontest"
)

// defaultTestURL is the Redis the tests use unless TEST_REDIS_URL names
// another.
const defaultTestURL = "redis://127.0.0.1:6379/0"

// newClient returns a client of the test Redis, closed when the test ends.
func newClient(t testing.TB) *redis.Client {
	t.Helper()
	c, err := redisstore.NewClient(cmp.Or(os.Getenv("TEST_REDIS_URL"), defaultTestURL))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("Redis is needed for this test (start it, or set TEST_REDIS_URL): %v", err)
	}
	return c
}

// newStore returns a store under a key prefix of the test's own, whose keys
// are deleted when the test ends, so that tests running at once, or a
// deployment sharing the Redis, never see each other's keys.
func newStore(t testing.TB, c *redis.Client) *redisstore.Store {
	t.Helper()
	prefix := "test:" + rand.Text() + ":" // base32: nothing SCAN's MATCH would read as a pattern
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
	return redisstore.New(c, prefix)
}

func TestStoreConformance(t *testing.T) {
	c := newClient(t)
	sessiontest.Run(t, func(t *testing.T) session.Store { return newStore(t, c) },
		sessiontest.ExpiresByItself())
}
