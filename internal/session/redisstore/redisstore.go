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
	"strings"
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

// Store is a session.Store and session.UserIndex on Redis 7 or later, one
// server or a Redis Cluster. Under its prefix it keeps, for each session,
// the signed data at prefix+"{"+key+"}" and its Meta in a hash at
// prefix+"{"+key+"}:meta", both expiring with the session; and for each
// user with sessions, the set of their keys at prefix+"user:"+id, which
// expires with the user's longest session.
//
// The braces are a cluster's hash tag: a session's two keys are always in
// one slot, so that one MULTI writes both, while sessions spread over all
// the slots. A user's set is in a slot of its own, written after the
// session, never in the session's MULTI; a key it lists whose session is
// gone is dropped when found.
//
// Update and Rotate are optimistic: WATCH, read, edit, then MULTI/EXEC,
// again from the start if another write got in between. A Rotate writes
// the new key before it deletes the old one in the watched MULTI, and
// deletes the new key again if that MULTI fails, so that two keys of one
// session never both stay: on a cluster, they are in two slots that no
// one transaction spans.
//
// The Redis should not evict (maxmemory-policy noeviction): every key here
// has an expiry, so any volatile-* policy may drop one, and an evicted
// session is a logout, an evicted user set a session that logout
// everywhere no longer finds.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
	locks  keyLocks // this process's writers of a session, one at a time
}

// New returns a Store on rdb whose keys all begin with prefix ("" means
// DefaultPrefix), so that deployments sharing a Redis keep apart by giving
// different prefixes; see CheckPrefix. rdb should be made with
// ContextTimeoutEnabled, as NewClient makes it: without it, a Redis that
// stops answering holds each call for go-redis's own timeouts, past the
// Manager's store timeout.
func New(rdb redis.UniversalClient, prefix string) *Store {
	return &Store{rdb: rdb, prefix: cmp.Or(prefix, DefaultPrefix)}
}

// CheckPrefix refuses a key prefix with a brace: a cluster would take the
// hash tag from the prefix, which would put every session in one slot.
func CheckPrefix(prefix string) error {
	if strings.ContainsAny(prefix, "{}") {
		return errors.New("a key prefix must not contain { or }: a Redis Cluster would keep every session in one slot")
	}
	return nil
}

// NewClient returns a client of the Redis at rawURL, whose commands give up
// when their context ends, so that the Manager's store timeout holds while
// Redis hangs. rawURL is one server, redis://[[user]:password@]host[:port][/db]
// (rediss:// for TLS), or a Redis Cluster given by some of its masters,
// redis-cluster://[[user]:password@]host:port,host:port,...
// (rediss-cluster:// for TLS), whose client finds the others and follows
// the slots as they move.
//
// It fails fast when Redis is down: one dial per attempt (go-redis's
// default is five, 100 ms apart) and one retry of a command (default
// three), the retry for a pooled connection that a restarted Redis
// closed. With the defaults every command of an unreachable Redis took
// 1.6 s before it failed: the cache engine answered its 503s, and the
// cached_db engine served from the database, a hundred times slower than
// they could. A max_retries in the URL is kept (-1: none).
func NewClient(rawURL string) (redis.UniversalClient, error) {
	if rest, ok := clusterURL(rawURL); ok {
		opts, err := redis.ParseClusterURL(rest)
		if err != nil {
			return nil, urlError(err)
		}
		opts.ContextTimeoutEnabled, opts.DialerRetries, opts.MaxRetries = failFast(opts.MaxRetries)
		return redis.NewClusterClient(opts), nil
	}
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, urlError(err)
	}
	opts.ContextTimeoutEnabled, opts.DialerRetries, opts.MaxRetries = failFast(opts.MaxRetries)
	return redis.NewClient(opts), nil
}

// failFast are the options NewClient sets: commands bound by their
// context, one dial per attempt, and one retry of a command unless the URL
// said otherwise (maxRetries, 0 when it did not).
func failFast(maxRetries int) (contextTimeout bool, dialerRetries, retries int) {
	return true, 1, cmp.Or(maxRetries, 1)
}

// clusterURL rewrites a redis-cluster:// URL as go-redis's own form of a
// cluster URL (its first address as the host, the others as addr
// parameters), and reports whether it was one.
func clusterURL(rawURL string) (string, bool) {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok || (scheme != "redis-cluster" && scheme != "rediss-cluster") {
		return "", false
	}
	scheme = strings.TrimSuffix(scheme, "-cluster")
	userinfo, hosts := "", rest
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		userinfo, hosts = rest[:at+1], rest[at+1:]
	}
	hosts, query, _ := strings.Cut(hosts, "?")
	hosts = strings.TrimSuffix(hosts, "/")
	addrs := strings.Split(hosts, ",")
	q := url.Values{}
	for _, a := range addrs[1:] {
		q.Add("addr", a)
	}
	u := scheme + "://" + userinfo + addrs[0]
	if extra := q.Encode(); extra != "" || query != "" {
		u += "?" + strings.Trim(extra+"&"+query, "&")
	}
	return u, true
}

// urlError is err without the URL that go-redis's message quotes, password
// and all.
func urlError(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	return fmt.Errorf("redisstore: invalid Redis URL: %w", err)
}

func (s *Store) dataKey(key string) string { return s.prefix + "{" + key + "}" }
func (s *Store) metaKey(key string) string { return s.prefix + "{" + key + "}:meta" }
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

// Create implements session.Store. A session without Meta is one SET NX;
// one with Meta also writes its hash, in a MULTI that runs only if the key
// was still free when watched, and then its key into its user's set.
func (s *Store) Create(ctx context.Context, key string, r session.Record) error {
	if !session.ValidKey(key) {
		return errInvalidKey
	}
	fields := metaFields(r.Meta)
	if err := s.create(ctx, key, r, fields); err != nil {
		return err
	}
	return s.index(ctx, r.Meta.UserID, key, r.Expiry)
}

// create writes r under key, with fields as its hash, if no session has key.
func (s *Store) create(ctx context.Context, key string, r session.Record, fields map[string]string) error {
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
				s.put(ctx, pipe, key, r, fields)
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
	unlock, err := s.locks.lock(ctx, key)
	if err != nil {
		return err
	}
	defer unlock()
	var r session.Record
	var was int64
	err = retry(ctx, func() error {
		return s.rdb.Watch(ctx, func(tx *redis.Tx) error {
			data, meta, err := s.read(ctx, tx, key)
			if err != nil {
				return err
			}
			if r, err = edit(data); err != nil {
				return err
			}
			was = userID(meta)
			_, err = tx.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
				s.put(ctx, pipe, key, r, metaFields(r.Meta))
				return nil
			})
			return err
		}, s.dataKey(key))
	})
	if err != nil {
		return err
	}
	owner := cmp.Or(r.Meta.UserID, was)
	if owner == was {
		// The key is in the set since the session became the user's; this
		// only extends the set's life, and a set in a slot that is down
		// must not fail the writes of sessions in slots that are up. The
		// next write extends it.
		_ = s.index(ctx, owner, key, r.Expiry)
		return nil
	}
	if was != 0 {
		s.rdb.SRem(ctx, s.userKey(was), key) // else ByUser drops it when it finds it
	}
	return s.index(ctx, owner, key, r.Expiry)
}

// Rotate implements session.Store. The old key is watched from the read to
// the MULTI that deletes it; the new one is written in between, with its
// place in the user's set, and deleted again if that MULTI does not run
// (a concurrent write of the old key, or a failure), before trying again.
// A DeleteByUser at any moment of this finds the session under one key or
// the other: the new key is in the user's set before the old one goes.
func (s *Store) Rotate(ctx context.Context, old, new string, edit session.Edit) error {
	if !session.ValidKey(old) {
		return session.ErrNotFound
	}
	if !session.ValidKey(new) {
		return errInvalidKey
	}
	unlock, err := s.locks.lock(ctx, old)
	if err != nil {
		return err
	}
	defer unlock()
	return retry(ctx, func() error {
		return s.rdb.Watch(ctx, func(tx *redis.Tx) error {
			data, meta, err := s.read(ctx, tx, old)
			if err != nil {
				return err
			}
			r, err := edit(data)
			if err != nil {
				return err
			}
			fields := maps.Clone(meta) // old's Meta under the record's
			maps.Copy(fields, metaFields(r.Meta))
			was := userID(meta)
			owner := cmp.Or(r.Meta.UserID, was)
			if err := s.create(ctx, new, r, fields); err != nil {
				return err
			}
			err = s.index(ctx, owner, new, r.Expiry)
			if err == nil {
				_, err = tx.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
					pipe.Del(ctx, s.dataKey(old), s.metaKey(old))
					return nil
				})
			}
			if err != nil {
				// The old key stays the session's: the new one must not.
				cleanup := context.WithoutCancel(ctx)
				if derr := s.rdb.Del(cleanup, s.dataKey(new), s.metaKey(new)).Err(); derr != nil {
					return errors.Join(err, derr)
				}
				return err
			}
			if was != 0 {
				s.rdb.SRem(ctx, s.userKey(was), old) // else ByUser drops it when it finds it
			}
			return nil
		}, s.dataKey(old))
	})
}

// Delete implements session.Store. The key leaves its user's set after the
// session is gone (the set is in another slot); should that fail, ByUser or
// DeleteByUser drops it when they find it gone, or the set expires.
func (s *Store) Delete(ctx context.Context, key string) error {
	if !session.ValidKey(key) {
		return nil
	}
	owner, _ := s.rdb.HGet(ctx, s.metaKey(key), fieldUserID).Int64() // 0 when unknown
	if err := s.rdb.Del(ctx, s.dataKey(key), s.metaKey(key)).Err(); err != nil {
		return err
	}
	if owner != 0 {
		s.rdb.SRem(ctx, s.userKey(owner), key)
	}
	return nil
}

// DeleteExpired implements session.Store. Redis removes every session at its
// expiry by itself, so there is never anything left to delete: it returns
// 0, and clearsessions has nothing to do on this store.
func (s *Store) DeleteExpired(context.Context, time.Time, int) (int, error) {
	return 0, nil
}
