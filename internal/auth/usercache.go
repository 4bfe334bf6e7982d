package auth

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/djsessions/api/internal/database"
)

// UserCache keeps the users that sessions name, so that a session check
// needs one query (the session) instead of two. A copy is never trusted
// longer than ttl, and is dropped the moment the user changes: by this
// process at once, and by every process (and for changes a Django app makes
// to the same table) through PostgreSQL's notifications, which Listen
// receives. While it cannot listen, it keeps nothing.
type UserCache struct {
	Users
	ttl time.Duration

	mu        sync.Mutex
	entries   map[int64]cachedUser
	listening bool
	// gen counts what was dropped: a copy read from the store while
	// something was dropped may be the stale one, and is not kept.
	gen uint64
}

type cachedUser struct {
	user    User
	fetched time.Time
}

// maxCachedUsers bounds the memory the cache takes; past it, it starts over.
const maxCachedUsers = 100_000

// NewUserCache returns a UserCache in front of u. It keeps nothing until
// Listen is receiving notifications.
func NewUserCache(u Users, ttl time.Duration) *UserCache {
	return &UserCache{Users: u, ttl: ttl, entries: map[int64]cachedUser{}}
}

// ByID returns the user from the cache, or from the store.
func (c *UserCache) ByID(ctx context.Context, id int64) (User, error) {
	c.mu.Lock()
	e, ok := c.entries[id]
	gen := c.gen
	c.mu.Unlock()
	if ok && time.Since(e.fetched) < c.ttl {
		return e.user, nil
	}
	fetched := time.Now()
	u, err := c.Users.ByID(ctx, id)
	if err != nil {
		return u, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.listening && c.gen == gen {
		if len(c.entries) >= maxCachedUsers {
			c.entries = map[int64]cachedUser{}
		}
		c.entries[id] = cachedUser{u, fetched}
	}
	return u, nil
}

// Fresh reads the user past the cache, and keeps that copy.
func (c *UserCache) Fresh(ctx context.Context, id int64) (User, error) {
	c.forget(id)
	return c.ByID(ctx, id)
}

// SetPassword implements Users, dropping the cached copy.
func (c *UserCache) SetPassword(ctx context.Context, id int64, hash string) error {
	defer c.forget(id)
	return c.Users.SetPassword(ctx, id, hash)
}

// SetLastLogin implements Users, dropping the cached copy.
func (c *UserCache) SetLastLogin(ctx context.Context, id int64, at time.Time) error {
	defer c.forget(id)
	return c.Users.SetLastLogin(ctx, id, at)
}

func (c *UserCache) forget(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, id)
	c.gen++
}

// setListening turns the cache on or off; either way it starts empty, since
// notifications may have been missed.
func (c *UserCache) setListening(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.listening = on
	c.entries = map[int64]cachedUser{}
	c.gen++
}

// Listen receives the notifications of user changes from the PostgreSQL at
// dsn (the trigger of migration 000007) until ctx ends, dropping the users
// they name. A lost connection turns the cache off until it is back.
func (c *UserCache) Listen(ctx context.Context, dsn string, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return database.Listen(ctx, dsn, "djsessions_auth_user",
		func(up bool, err error) {
			c.setListening(up)
			if !up && ctx.Err() == nil {
				logger.Warn("not receiving user changes; the user cache is off until they come again", "err", err)
			}
		},
		func(payload string) {
			if id, err := strconv.ParseInt(payload, 10, 64); err == nil {
				c.forget(id)
			}
		})
}
