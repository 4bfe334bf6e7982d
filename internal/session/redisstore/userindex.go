package redisstore

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/djsessions/api/internal/session"
)

var _ session.UserIndex = (*Store)(nil)

// ByUser implements session.UserIndex: the sessions of the user's set that
// are still there, still the user's and not expired by now, most recently
// active first. Keys whose session is gone, or is now another user's, leave
// the set on the way.
func (s *Store) ByUser(ctx context.Context, userID int64, now time.Time) ([]session.Entry, error) {
	users := s.userKey(userID)
	keys, err := s.rdb.SMembers(ctx, users).Result()
	if err != nil || len(keys) == 0 {
		return nil, err
	}
	metas := make([]*redis.MapStringStringCmd, len(keys))
	expiries := make([]*redis.DurationCmd, len(keys))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			metas[i] = p.HGetAll(ctx, s.metaKey(k))
			expiries[i] = p.PExpireTime(ctx, s.dataKey(k))
		}
		return nil
	}); err != nil {
		return nil, err
	}

	var entries []session.Entry
	var gone []any
	for i, k := range keys {
		meta := parseMeta(metas[i].Val())
		ms := expiries[i].Val() // -2 when the key is gone
		expiry := time.UnixMilli(int64(ms / time.Millisecond)).UTC()
		switch {
		case ms < 0 || meta.UserID != userID:
			gone = append(gone, k)
		case expiry.After(now):
			entries = append(entries, session.Entry{Key: k, Expiry: expiry, Meta: meta})
		}
	}
	if len(gone) > 0 {
		if err := s.rdb.SRem(ctx, users, gone...).Err(); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(entries, func(a, b session.Entry) int {
		return cmp.Or(b.Meta.LastActive.Compare(a.Meta.LastActive),
			b.Meta.CreatedAt.Compare(a.Meta.CreatedAt), cmp.Compare(a.Key, b.Key))
	})
	return entries, nil
}

// DeleteByUser implements session.UserIndex. It deletes the sessions of the
// user's set but keep, pass after pass, until a pass finds none left. A
// Rotate that commits during a pass has put its new key in the set in the
// same MULTI that moved the session, so the next pass ends it; one that
// would commit after its old key is deleted finds its WATCH broken, and on
// retrying finds the session gone.
func (s *Store) DeleteByUser(ctx context.Context, userID int64, keep string) ([]string, error) {
	users := s.userKey(userID)
	var deleted []string
	for {
		keys, err := s.rdb.SMembers(ctx, users).Result()
		if err != nil {
			return deleted, err
		}
		keys = slices.DeleteFunc(keys, func(k string) bool { return k == keep })
		if len(keys) == 0 {
			return deleted, nil
		}
		gone, err := s.deleteOwned(ctx, userID, keys)
		deleted = append(deleted, gone...)
		if err != nil {
			return deleted, err
		}
	}
}

// deleteOwned deletes the sessions under keys that are userID's, and takes
// every one of keys out of the user's set. A session whose hash names
// another user (its user changed under the same key) is left alone; one
// with no user named is deleted, since ending too much is the safe mistake
// for a logout everywhere.
func (s *Store) deleteOwned(ctx context.Context, userID int64, keys []string) ([]string, error) {
	owners := make([]*redis.StringCmd, len(keys))
	if err := pipeErr(s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			owners[i] = p.HGet(ctx, s.metaKey(k), fieldUserID)
		}
		return nil
	})); err != nil {
		return nil, err
	}
	var dels []*redis.IntCmd
	var delKeys []string
	members := make([]any, len(keys))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			members[i] = k
			if owner, _ := owners[i].Int64(); owner == 0 || owner == userID {
				dels = append(dels, p.Del(ctx, s.dataKey(k)))
				delKeys = append(delKeys, k)
				p.Del(ctx, s.metaKey(k))
			}
		}
		p.SRem(ctx, s.userKey(userID), members...)
		return nil
	}); err != nil {
		return nil, err
	}
	var deleted []string
	for i, d := range dels {
		if d.Val() > 0 {
			deleted = append(deleted, delKeys[i])
		}
	}
	return deleted, nil
}
