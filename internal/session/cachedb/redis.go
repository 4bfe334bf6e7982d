package cachedb

import (
	"cmp"
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultPrefix keeps the cache's keys apart from the cache engine's, and
// from other deployments' when they set their own.
const DefaultPrefix = "djsessions:cdb:"

var _ Cache = (*RedisCache)(nil)

// RedisCache is a Cache on Redis, every key under a prefix.
type RedisCache struct {
	rdb    redis.UniversalClient
	prefix string
}

// NewRedisCache returns a Cache on rdb under prefix ("" for DefaultPrefix).
func NewRedisCache(rdb redis.UniversalClient, prefix string) *RedisCache {
	return &RedisCache{rdb: rdb, prefix: cmp.Or(prefix, DefaultPrefix)}
}

// Get implements Cache.
func (c *RedisCache) Get(ctx context.Context, key string) (string, bool, error) {
	v, err := c.rdb.Get(ctx, c.prefix+key).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	return v, err == nil, err
}

// Set implements Cache. A past expiry deletes the key.
func (c *RedisCache) Set(ctx context.Context, key, value string, expiry time.Time) error {
	if !time.Now().Before(expiry) {
		return c.rdb.Del(ctx, c.prefix+key).Err()
	}
	return c.rdb.Set(ctx, c.prefix+key, value, time.Until(expiry)).Err()
}

// Add implements Cache.
func (c *RedisCache) Add(ctx context.Context, key, value string, expiry time.Time) error {
	if !time.Now().Before(expiry) {
		return nil
	}
	return c.rdb.SetNX(ctx, c.prefix+key, value, time.Until(expiry)).Err()
}

// Delete implements Cache, one key at a time so that a cluster's slots
// never need to match.
func (c *RedisCache) Delete(ctx context.Context, keys ...string) error {
	_, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range keys {
			p.Del(ctx, c.prefix+k)
		}
		return nil
	})
	return err
}

// Flush implements Cache: every key under the prefix, on every master.
func (c *RedisCache) Flush(ctx context.Context) error {
	flush := func(ctx context.Context, rdb redis.UniversalClient) error {
		iter := rdb.Scan(ctx, 0, c.prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			if err := rdb.Del(ctx, iter.Val()).Err(); err != nil {
				return err
			}
		}
		return iter.Err()
	}
	if cluster, ok := c.rdb.(*redis.ClusterClient); ok {
		return cluster.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
			return flush(ctx, node)
		})
	}
	return flush(ctx, c.rdb)
}
