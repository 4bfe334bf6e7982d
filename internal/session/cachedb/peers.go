package cachedb

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/djsessions/api/internal/database"
)

var _ Peers = (*PostgresPeers)(nil)

// staleChannel is the PostgreSQL notification channel of stale copies; its
// payload is session keys, comma-separated.
const staleChannel = "djsessions_cachedb_stale"

// keysPerNotification keeps a payload (33 bytes a key) under PostgreSQL's
// limit of 8000 bytes.
const keysPerNotification = 200

// PostgresPeers are the processes that share a PostgreSQL database, which
// carries their word as notifications: every process of a deployment hears
// it, whichever one Redis cannot.
type PostgresPeers struct {
	db *sqlx.DB
}

// NewPostgresPeers returns the peers that listen on db's database.
func NewPostgresPeers(db *sqlx.DB) *PostgresPeers { return &PostgresPeers{db: db} }

// Stale implements Peers.
func (p *PostgresPeers) Stale(ctx context.Context, keys ...string) error {
	for len(keys) > 0 {
		n := min(len(keys), keysPerNotification)
		if _, err := p.db.ExecContext(ctx, `SELECT pg_notify($1, $2)`, staleChannel, strings.Join(keys[:n], ",")); err != nil {
			return err
		}
		keys = keys[n:]
	}
	return nil
}

// Listen hands the keys that any process announces stale (this one's
// included) to invalidate, until ctx ends, from the PostgreSQL at dsn. While
// its connection is lost, what is announced meanwhile is marked by the
// other processes, which share the cache; it logs that it is not hearing.
func (p *PostgresPeers) Listen(ctx context.Context, dsn string, invalidate func(context.Context, ...string), logger *slog.Logger) error {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return database.Listen(ctx, dsn, staleChannel,
		func(up bool, err error) {
			if !up && ctx.Err() == nil {
				logger.Warn("not hearing of stale session cache entries from the other processes", "err", err)
			}
		},
		func(payload string) {
			ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			invalidate(ctx, strings.Split(payload, ",")...)
		})
}
