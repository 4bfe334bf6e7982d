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
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/djsessions/api/internal/session/redisstore"
)

// URL is the Redis the tests use: TEST_REDIS_URL, or the local default.
func URL() string { return cmp.Or(os.Getenv("TEST_REDIS_URL"), "redis://127.0.0.1:6379/0") }

// IsCluster reports whether the test Redis is a cluster: TEST_REDIS_URL is
// a redis-cluster:// URL, as make test-on-cluster sets it.
func IsCluster() bool { return strings.HasPrefix(URL(), "redis-cluster://") }

// Client returns a client of the test Redis (a cluster's, when
// TEST_REDIS_URL is a redis-cluster:// URL), closed when the test ends.
func Client(t testing.TB) redis.UniversalClient {
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
func Prefix(t testing.TB, c redis.UniversalClient) string {
	t.Helper()
	return PrefixFor(t, c, rand.Text())
}

// PrefixFor returns the key prefix of seed, whose keys are deleted when the
// test ends: API processes of one test that share a database (seed: its
// URL) share their cache, as a deployment's processes do.
func PrefixFor(t testing.TB, c redis.UniversalClient, seed string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(seed))
	prefix := "test:" + hex.EncodeToString(sum[:10]) + ":" // nothing SCAN's MATCH would read as a pattern
	t.Cleanup(func() {
		if err := DeleteUnder(context.Background(), c, prefix); err != nil {
			t.Errorf("deleting the keys under %s: %v", prefix, err)
		}
	})
	return prefix
}

// DeleteUnder deletes every key under prefix, one key at a time, since a
// cluster's DEL takes keys of one slot only.
func DeleteUnder(ctx context.Context, c redis.UniversalClient, prefix string) error {
	keys, err := Keys(ctx, c, prefix+"*")
	for _, k := range keys {
		if err := c.Del(ctx, k).Err(); err != nil {
			return err
		}
	}
	return err
}

// Keys returns the keys that match pattern, on each master of a cluster
// (a cluster client's SCAN reads one node).
func Keys(ctx context.Context, c redis.UniversalClient, pattern string) ([]string, error) {
	var mu sync.Mutex
	var keys []string
	scan := func(ctx context.Context, node redis.Cmdable) error {
		iter := node.Scan(ctx, 0, pattern, 1000).Iterator()
		for iter.Next(ctx) {
			mu.Lock()
			keys = append(keys, iter.Val())
			mu.Unlock()
		}
		return iter.Err()
	}
	var err error
	if cluster, ok := c.(*redis.ClusterClient); ok {
		err = cluster.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
			return scan(ctx, node)
		})
	} else {
		err = scan(ctx, c)
	}
	return keys, err
}
