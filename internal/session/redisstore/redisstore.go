// Package redisstore keeps sessions in Redis, as Django's cache session
// backend does on a Redis cache: one key per session, which Redis itself
// removes when the session expires.
package redisstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/url"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/djsessions/api/internal/session"
)

var _ session.Store = (*Store)(nil)

// DefaultPrefix begins every key the store writes unless New is given another.
const DefaultPrefix = "djsessions:"

// errInvalidKey refuses to write under a key that no session can have. Its
// characters are what keeps a session's keys apart from the store's other
// keys (a session key has no colon).
var errInvalidKey = errors.New("redisstore: invalid session key")

// Store is a session.Store and session.UserIndex on Redis 7 or later. Under
// its prefix it keeps, for each session, the signed data at prefix+key and
// its Meta in a hash at prefix+"meta:"+key, both expiring with the session;
// and for each user with sessions, the set of their keys at
// prefix+"user:"+id, which expires with the user's longest session.
//
// Update and Rotate are optimistic: WATCH, read, edit, then MULTI/EXEC,
// again from the start if another write got in between. Writes that change
// a session and its user's set do so in one MULTI.
//
// The Redis should not evict (maxmemory-policy noeviction): every key here
// has an expiry, so any volatile-* policy may drop one, and an evicted
// session is a logout, an evicted user set a session that logout
// everywhere no longer finds.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
}

// New returns a Store on rdb whose keys all begin with prefix ("" means
// DefaultPrefix), so that deployments sharing a Redis keep apart by giving
// different prefixes. rdb should be made with ContextTimeoutEnabled, as
// NewClient makes it: without it, a Redis that stops answering holds each
// call for go-redis's own timeouts, past the Manager's store timeout.
func New(rdb redis.UniversalClient, prefix string) *Store {
	return &Store{rdb: rdb, prefix: cmp.Or(prefix, DefaultPrefix)}
}

// NewClient returns a client of the Redis at url
// (redis://[[user]:password@]host[:port][/db], or rediss:// for TLS), whose
// commands give up when their context ends, so that the Manager's store
// timeout holds while Redis hangs.
func NewClient(rawURL string) (*redis.Client, error) {
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // its message quotes the URL, password and all
		}
		return nil, fmt.Errorf("redisstore: invalid Redis URL: %w", err)
	}
	opts.ContextTimeoutEnabled = true
	return redis.NewClient(opts), nil
}

func (s *Store) dataKey(key string) string { return s.prefix + key }
func (s *Store) metaKey(key string) string { return s.prefix + "meta:" + key }
func (s *Store) userKey(userID int64) string {
	return s.prefix + "user:" + strconv.FormatInt(userID, 10)
}

// Load implements session.Store. Redis never returns a key past its expiry,
// and GET waits for no transaction.
func (s *Store) Load(ctx context.Context, key string) (string, bool, error) {
	if !session.ValidKey(key) {
		return "", false, nil // no session has it; and junk never reaches Redis
	}
	data, err := s.rdb.Get(ctx, s.dataKey(key)).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return data, true, nil
}

// Create implements session.Store. A session without Meta is one SET NX. One
// with Meta also writes its hash and its user's set, in a MULTI that runs
// only if the key was still free when watched.
func (s *Store) Create(ctx context.Context, key string, r session.Record) error {
	if !session.ValidKey(key) {
		return errInvalidKey
	}
	fields := metaFields(r.Meta)
	if len(fields) == 0 {
		err := s.rdb.SetArgs(ctx, s.dataKey(key), r.Data,
			redis.SetArgs{Mode: "NX", ExpireAt: expireAt(r.Expiry)}).Err()
		if errors.Is(err, redis.Nil) {
			return session.ErrKeyExists
		}
		return err
	}
	return retry(ctx, func() error {
		return s.rdb.Watch(ctx, func(tx *redis.Tx) error {
			n, err := tx.Exists(ctx, s.dataKey(key)).Result()
			if err != nil {
				return err
			}
			if n > 0 {
				return session.ErrKeyExists
			}
			_, err = tx.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
				pipe.Del(ctx, s.metaKey(key)) // nothing of an earlier session is merged in
				s.put(ctx, pipe, key, r, fields, r.Meta.UserID)
				return nil
			})
			return err
		}, s.dataKey(key))
	})
}

// Update implements session.Store. Like Django's save(), it does not look at
// the expiry: a session that the request loaded is still its own, unless
// Redis has dropped it, and then it is not found.
func (s *Store) Update(ctx context.Context, key string, edit session.Edit) error {
	if !session.ValidKey(key) {
		return session.ErrNotFound
	}
	return retry(ctx, func() error {
		return s.rdb.Watch(ctx, func(tx *redis.Tx) error {
			data, meta, _, err := s.read(ctx, tx, key, "")
			if err != nil {
				return err
			}
			r, err := edit(data)
			if err != nil {
				return err
			}
			was := userID(meta)
			owner := cmp.Or(r.Meta.UserID, was)
			_, err = tx.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
				if was != 0 && was != owner {
					pipe.SRem(ctx, s.userKey(was), key)
				}
				s.put(ctx, pipe, key, r, metaFields(r.Meta), owner)
				return nil
			})
			return err
		}, s.dataKey(key))
	})
}

// Rotate implements session.Store. Both keys are watched, so a write to
// either between the read and the EXEC (an Update of old, a Create of new)
// starts it again.
func (s *Store) Rotate(ctx context.Context, old, new string, edit session.Edit) error {
	if !session.ValidKey(old) {
		return session.ErrNotFound
	}
	if !session.ValidKey(new) {
		return errInvalidKey
	}
	return retry(ctx, func() error {
		return s.rdb.Watch(ctx, func(tx *redis.Tx) error {
			data, meta, taken, err := s.read(ctx, tx, old, new)
			if err != nil {
				return err
			}
			if taken {
				return session.ErrKeyExists
			}
			r, err := edit(data)
			if err != nil {
				return err
			}
			fields := maps.Clone(meta) // old's Meta under the record's
			maps.Copy(fields, metaFields(r.Meta))
			was := userID(meta)
			_, err = tx.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
				pipe.Del(ctx, s.dataKey(old), s.metaKey(old), s.metaKey(new))
				if was != 0 {
					pipe.SRem(ctx, s.userKey(was), old)
				}
				s.put(ctx, pipe, new, r, fields, cmp.Or(r.Meta.UserID, was))
				return nil
			})
			return err
		}, s.dataKey(old), s.dataKey(new))
	})
}

// read returns, in one round trip, the data under key and its meta fields,
// or ErrNotFound; and, if other is given, whether a session has that key.
func (s *Store) read(ctx context.Context, tx *redis.Tx, key, other string) (data string, meta map[string]string, taken bool, err error) {
	var get *redis.StringCmd
	var hget *redis.MapStringStringCmd
	var exists *redis.IntCmd
	if err := pipeErr(tx.Pipelined(ctx, func(p redis.Pipeliner) error {
		get = p.Get(ctx, s.dataKey(key))
		hget = p.HGetAll(ctx, s.metaKey(key))
		if other != "" {
			exists = p.Exists(ctx, s.dataKey(other))
		}
		return nil
	})); err != nil {
		return "", nil, false, err
	}
	if errors.Is(get.Err(), redis.Nil) {
		return "", nil, false, session.ErrNotFound
	}
	return get.Val(), hget.Val(), exists != nil && exists.Val() > 0, nil
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
// hash with fields set in it, both expiring at r's expiry; and key in the
// set of owner, which lives as long as the longest of its sessions. An
// expiry already past deletes the session (Redis drops a key set to expire
// in the past), so it is never served.
func (s *Store) put(ctx context.Context, pipe redis.Pipeliner, key string, r session.Record, fields map[string]string, owner int64) {
	at := expireAt(r.Expiry)
	pipe.SetArgs(ctx, s.dataKey(key), r.Data, redis.SetArgs{ExpireAt: at})
	if len(fields) > 0 {
		pipe.HSet(ctx, s.metaKey(key), fields)
	}
	pipe.PExpireAt(ctx, s.metaKey(key), at)
	if owner == 0 || !at.After(time.Now()) {
		return
	}
	users := s.userKey(owner)
	pipe.SAdd(ctx, users, key)
	// NX gives a new set its expiry and GT extends it; a set with none
	// counts as never expiring for GT, so it takes both.
	pipe.Do(ctx, "pexpireat", users, at.UnixMilli(), "nx")
	pipe.Do(ctx, "pexpireat", users, at.UnixMilli(), "gt")
}

// expireAt is t as a PXAT that Redis accepts: to the millisecond, rounded
// down so that a session is never served past its expiry, and after the
// epoch (Redis refuses times before it, which are long past anyway).
func expireAt(t time.Time) time.Time { return time.UnixMilli(max(t.UnixMilli(), 1)) }

// Delete implements session.Store. The key stays in its user's set until
// ByUser or DeleteByUser finds it gone, or the set expires.
func (s *Store) Delete(ctx context.Context, key string) error {
	if !session.ValidKey(key) {
		return nil
	}
	return s.rdb.Del(ctx, s.dataKey(key), s.metaKey(key)).Err()
}

// DeleteExpired implements session.Store. Redis removes every session at its
// expiry by itself, so there is never anything left to delete: it returns
// 0, and clearsessions has nothing to do on this store.
func (s *Store) DeleteExpired(context.Context, time.Time, int) (int, error) {
	return 0, nil
}

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
