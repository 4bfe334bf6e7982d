package redisstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/djsessions/api/internal/session"
)

// read returns, in one round trip, the data under key and its meta fields,
// or ErrNotFound.
func (s *Store) read(ctx context.Context, tx *redis.Tx, key string) (data string, meta map[string]string, err error) {
	var get *redis.StringCmd
	var hget *redis.MapStringStringCmd
	if err := pipeErr(tx.Pipelined(ctx, func(p redis.Pipeliner) error {
		get = p.Get(ctx, s.dataKey(key))
		hget = p.HGetAll(ctx, s.metaKey(key))
		return nil
	})); err != nil {
		return "", nil, err
	}
	if errors.Is(get.Err(), redis.Nil) {
		return "", nil, session.ErrNotFound
	}
	return get.Val(), hget.Val(), nil
}

// pipeErr is the failure of a pipeline, if any. redis.Nil, which the
// pipeline returns when it is the first command's error, only says that a
// key is missing: an answer, not a failure, and a real failure of a later
// command must not hide behind it.
func pipeErr(cmds []redis.Cmder, err error) error {
	if !errors.Is(err, redis.Nil) {
		return err
	}
	for _, c := range cmds {
		if err := c.Err(); err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
	}
	return nil
}

// put queues the commands that store r under key: the data, and the meta
// hash with fields set in it, both expiring at r's expiry. An expiry
// already past deletes the session (Redis drops a key set to expire in the
// past), so it is never served.
func (s *Store) put(ctx context.Context, pipe redis.Pipeliner, key string, r session.Record, fields map[string]string) {
	at := expireAt(r.Expiry)
	pipe.SetArgs(ctx, s.dataKey(key), r.Data, redis.SetArgs{ExpireAt: at})
	if len(fields) > 0 {
		pipe.HSet(ctx, s.metaKey(key), fields)
	}
	pipe.PExpireAt(ctx, s.metaKey(key), at)
}

// index puts key in the set of owner's sessions, which lives as long as the
// longest of them; nothing for no owner, or a session already expired.
func (s *Store) index(ctx context.Context, owner int64, key string, expiry time.Time) error {
	at := expireAt(expiry)
	if owner == 0 || !at.After(time.Now()) {
		return nil
	}
	users := s.userKey(owner)
	_, err := s.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.SAdd(ctx, users, key)
		// NX gives a new set its expiry and GT extends it; a set with none
		// counts as never expiring for GT, so it takes both.
		pipe.Do(ctx, "pexpireat", users, at.UnixMilli(), "nx")
		pipe.Do(ctx, "pexpireat", users, at.UnixMilli(), "gt")
		return nil
	})
	return err
}

// expireAt is t as a PXAT that Redis accepts: to the millisecond, rounded
// down so that a session is never served past its expiry, and after the
// epoch (Redis refuses times before it, which are long past anyway).
func expireAt(t time.Time) time.Time { return time.UnixMilli(max(t.UnixMilli(), 1)) }

// retry runs tx again while it fails because a watched key changed under it,
// with a short, jittered, growing pause in between, so that writers of one
// busy session spread out rather than collide again; until ctx ends.
func retry(ctx context.Context, tx func() error) error {
	for attempt := 0; ; attempt++ {
		err := tx()
		if !errors.Is(err, redis.TxFailedErr) {
			return err
		}
		pause := time.Millisecond << min(attempt, 5) // up to 32 ms
		t := time.NewTimer(pause/2 + rand.N(pause))
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("redisstore: gave up after %d attempts, each interrupted by a concurrent write: %w", attempt+1, ctx.Err())
		case <-t.C:
		}
	}
}
