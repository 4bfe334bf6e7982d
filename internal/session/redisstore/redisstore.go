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
//
// It fails fast when Redis is down: one dial per attempt (go-redis's
// default is five, 100 ms apart) and one retry of a command (default
// three), the retry for a pooled connection that a restarted Redis
// closed. With the defaults every command of an unreachable Redis took
// 1.6 s before it failed: the cache engine answered its 503s, and the
// cached_db engine served from the database, a hundred times slower than
// they could. A max_retries in the URL is kept (-1: none).
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
	opts.DialerRetries = 1
	if opts.MaxRetries == 0 {
		opts.MaxRetries = 1
	}
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
