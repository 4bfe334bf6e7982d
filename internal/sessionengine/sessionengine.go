// Package sessionengine builds the session engine that SESSION_ENGINE names,
// with its store, its readiness checks and what must be closed, for the
// API's process and for the tests that run the API as it runs.
package sessionengine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/jmoiron/sqlx"
	"github.com/redis/go-redis/v9"

	"github.com/djsessions/api/internal/database"
	"github.com/djsessions/api/internal/metrics"
	"github.com/djsessions/api/internal/server"
	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/session/cachedb"
	"github.com/djsessions/api/internal/session/dbstore"
	"github.com/djsessions/api/internal/session/filestore"
	"github.com/djsessions/api/internal/session/redisstore"
)

// Settings are the engine's settings, named after the variables that set
// them.
type Settings struct {
	Engine             string // SESSION_ENGINE, short name: db, cache, cached_db, file, signed_cookies
	SecretKey          string
	SecretKeyFallbacks []string
	EncryptionKeys     [][]byte // SESSION_ENCRYPTION_KEYS
	FilePath           string   // SESSION_FILE_PATH
	CacheURL           string   // SESSION_CACHE_URL
	CacheKeyPrefix     string   // SESSION_CACHE_KEY_PREFIX
	// DatabaseURL is DATABASE_URL, on which cached_db's processes hear from
	// one another (PostgreSQL's notifications) of cache entries one of
	// them could not update.
	DatabaseURL string
	Options     session.Options
}

// Engine is a session engine, with what readiness checks of it and what
// must be closed when the process stops.
type Engine struct {
	Sessions *session.Manager
	Checks   []server.Check
	Close    func()
}

// New builds the engine that s names, on db for the engines that use it.
// Its store's operations are counted by m; nil counts nothing.
func New(s Settings, db *sqlx.DB, m *metrics.Metrics) (Engine, error) {
	opts := s.Options
	if len(s.EncryptionKeys) > 0 {
		sealer, err := session.NewSealer(s.EncryptionKeys...)
		if err != nil {
			return Engine{}, fmt.Errorf("SESSION_ENCRYPTION_KEYS: %w", err)
		}
		opts.Sealer = sealer
	}
	e := Engine{Close: func() {}}
	if s.Engine == "signed_cookies" {
		// Django signs these with their own salt, so a stored session's
		// signature never passes for a cookie, nor the reverse.
		signer := session.NewSigner(session.SaltSignedCookies, s.SecretKey, s.SecretKeyFallbacks...)
		e.Sessions = session.NewCookieManager(signer, opts)
		return e, nil
	}

	var store session.Store
	switch s.Engine {
	case "db":
		store = dbstore.New(db)
	case "file":
		// Named and timed as Django's file backend does: the cookie's name
		// as prefix, its default age (Django's) to time the files by.
		fs, err := filestore.New(s.FilePath, cmp.Or(opts.CookieName, "sessionid"), cmp.Or(opts.Age, session.DefaultAge))
		if err != nil {
			return Engine{}, fmt.Errorf("SESSION_FILE_PATH: %w", err)
		}
		store = fs
	case "cache", "cached_db":
		rdb, err := redisstore.NewClient(s.CacheURL)
		if err != nil {
			return Engine{}, fmt.Errorf("SESSION_CACHE_URL: %w", err)
		}
		if err := redisstore.CheckPrefix(s.CacheKeyPrefix); err != nil {
			rdb.Close()
			return Engine{}, fmt.Errorf("SESSION_CACHE_KEY_PREFIX: %w", err)
		}
		e.Close = func() { rdb.Close() }
		if s.Engine == "cache" {
			// Redis is the only store: without it, no session can be read.
			store = redisstore.New(rdb, s.CacheKeyPrefix)
			e.Checks = append(e.Checks, cacheChecks(rdb)...)
			break
		}
		dbs, cache := dbstore.New(db), cachedb.NewRedisCache(rdb, CachedDBPrefix(s.CacheKeyPrefix))
		var cdb *cachedb.Store
		if db.DriverName() == database.Postgres {
			peers := cachedb.NewPostgresPeers(db)
			cdb = cachedb.New(dbs, cache, peers, opts.Logger)
			ctx, stop := context.WithCancel(context.Background())
			if err := peers.Listen(ctx, s.DatabaseURL, cdb.Invalidate, opts.Logger); err != nil {
				stop()
				rdb.Close()
				return Engine{}, fmt.Errorf("DATABASE_URL: listening for stale session cache entries: %w", err)
			}
			e.Close = func() { stop(); rdb.Close() }
		} else {
			cdb = cachedb.New(dbs, cache, nil, opts.Logger) // SQLite serves one process
		}
		store = cdb
		e.Checks = append(e.Checks, server.Check{Name: "session_cache", Func: cdb.Check, Degrades: true})
		if cluster, ok := rdb.(*redis.ClusterClient); ok {
			e.Checks = append(e.Checks, mastersCheck(cluster))
		}
	default:
		return Engine{}, fmt.Errorf("SESSION_ENGINE: no engine %q", s.Engine)
	}
	if m != nil {
		store = m.Store(s.Engine, store)
	}
	signer := session.NewSigner(session.SaltStore, s.SecretKey, s.SecretKeyFallbacks...)
	e.Sessions = session.NewManager(store, signer, opts)
	return e, nil
}

// cacheChecks are the readiness checks of the cache engine's Redis. On a
// cluster, a master that is down fails the sessions in its slots only:
// the process is degraded while one master answers, and not ready when
// none does, so that a load balancer keeps sending it the requests that it
// can serve.
func cacheChecks(rdb redis.UniversalClient) []server.Check {
	cluster, ok := rdb.(*redis.ClusterClient)
	if !ok {
		return []server.Check{{Name: "session_cache", Func: func(ctx context.Context) error { return rdb.Ping(ctx).Err() }}}
	}
	return []server.Check{
		{Name: "session_cache", Func: func(ctx context.Context) error {
			if up, err := pingMasters(ctx, cluster); up == 0 {
				return cmp.Or(err, errors.New("no master answers"))
			}
			return nil
		}},
		mastersCheck(cluster),
	}
}

// mastersCheck degrades readiness while a master of the cluster is down.
func mastersCheck(cluster *redis.ClusterClient) server.Check {
	return server.Check{Name: "session_cache_masters", Degrades: true, Func: func(ctx context.Context) error {
		_, err := pingMasters(ctx, cluster)
		return err
	}}
}

// pingMasters pings every master of the cluster, and returns how many
// answered and the first failure.
func pingMasters(ctx context.Context, cluster *redis.ClusterClient) (up int, err error) {
	var mu sync.Mutex
	err = cluster.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
		err := node.Ping(ctx).Err()
		if err == nil {
			mu.Lock()
			up++
			mu.Unlock()
		}
		return err
	})
	return up, err
}

// CachedDBPrefix is the prefix of the cached_db engine's entries in Redis,
// under SESSION_CACHE_KEY_PREFIX: apart from the cache engine's keys, so
// that switching a deployment from one engine to the other on the same
// Redis finds no stale entry of the other.
func CachedDBPrefix(prefix string) string { return prefix + "cdb:" }

// redisLogger sends go-redis's own messages (a dial that failed, a pool
// that recovered) to the API's log instead of its default, stderr.
type redisLogger struct{ logger *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.logger.WarnContext(ctx, "redis: "+fmt.Sprintf(format, v...))
}

var _ interface {
	Printf(context.Context, string, ...any)
} = redisLogger{}

// UseRedisLogger routes go-redis's package-wide logger to logger: once, at
// the start of the process.
func UseRedisLogger(logger *slog.Logger) { redis.SetLogger(redisLogger{logger}) }
