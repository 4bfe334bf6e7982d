package main

import (
	"log/slog"

	"github.com/jmoiron/sqlx"

	"github.com/djsessions/api/internal/metrics"
	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/sessionengine"
)

// newEngine builds the session engine of cfg. Its store's operations are
// counted by m; nil counts nothing (clearsessions, which no one scrapes).
func newEngine(cfg Config, db *sqlx.DB, logger *slog.Logger, m *metrics.Metrics) (sessionengine.Engine, error) {
	return sessionengine.New(sessionengine.Settings{
		Engine:             cfg.SessionEngine,
		SecretKey:          cfg.SecretKey,
		SecretKeyFallbacks: cfg.SecretKeyFallbacks,
		EncryptionKeys:     cfg.EncryptionKeys,
		FilePath:           cfg.FilePath,
		CacheURL:           cfg.CacheURL,
		CacheKeyPrefix:     cfg.CacheKeyPrefix,
		DatabaseURL:        cfg.DatabaseURL,
		Options: session.Options{
			CookieName:           cfg.CookieName,
			CookieDomain:         cfg.CookieDomain,
			CookiePath:           cfg.CookiePath,
			CookieSecure:         cfg.CookieSecure,
			CookieScriptReadable: !cfg.CookieHTTPOnly,
			CookieSameSite:       cfg.CookieSameSite,
			Age:                  cfg.CookieAge,
			ExpireAtBrowserClose: cfg.ExpireAtBrowserClose,
			SaveEveryRequest:     cfg.SaveEveryRequest,
			Logger:               logger,
		},
	}, db, m)
}
