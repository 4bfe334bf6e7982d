package main

import (
	"log/slog"

	"github.com/jmoiron/sqlx"

	"github.com/djsessions/api/internal/metrics"
	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/session/dbstore"
)

// newSessions builds the session engine that SESSION_ENGINE names. Its
// store's operations are counted by m; nil counts nothing (clearsessions,
// which no one scrapes).
func newSessions(cfg Config, db *sqlx.DB, logger *slog.Logger, m *metrics.Metrics) *session.Manager {
	opts := session.Options{
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
	}
	if cfg.SessionEngine == "signed_cookies" {
		// Django signs these with their own salt, so a stored session's
		// signature never passes for a cookie, nor the reverse.
		signer := session.NewSigner(session.SaltSignedCookies, cfg.SecretKey, cfg.SecretKeyFallbacks...)
		return session.NewCookieManager(signer, opts)
	}
	signer := session.NewSigner(session.SaltStore, cfg.SecretKey, cfg.SecretKeyFallbacks...)
	var store session.Store = dbstore.New(db)
	if m != nil {
		store = m.Store(cfg.SessionEngine, store)
	}
	return session.NewManager(store, signer, opts)
}
