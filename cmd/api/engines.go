package main

import (
	"fmt"
	"log/slog"

	"github.com/jmoiron/sqlx"

	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/session/dbstore"
	"github.com/djsessions/api/internal/session/filestore"
)

// newSessions builds the session engine that SESSION_ENGINE names.
func newSessions(cfg Config, db *sqlx.DB, logger *slog.Logger) (*session.Manager, error) {
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
	if len(cfg.EncryptionKeys) > 0 {
		sealer, err := session.NewSealer(cfg.EncryptionKeys...)
		if err != nil {
			return nil, fmt.Errorf("SESSION_ENCRYPTION_KEYS: %w", err)
		}
		opts.Sealer = sealer
	}
	if cfg.SessionEngine == "signed_cookies" {
		// Django signs these with their own salt, so a stored session's
		// signature never passes for a cookie, nor the reverse.
		signer := session.NewSigner(session.SaltSignedCookies, cfg.SecretKey, cfg.SecretKeyFallbacks...)
		return session.NewCookieManager(signer, opts), nil
	}
	var store session.Store = dbstore.New(db)
	if cfg.SessionEngine == "file" {
		fs, err := filestore.New(cfg.FilePath, cfg.CookieName, cfg.CookieAge)
		if err != nil {
			return nil, fmt.Errorf("SESSION_FILE_PATH: %w", err)
		}
		store = fs
	}
	signer := session.NewSigner(session.SaltStore, cfg.SecretKey, cfg.SecretKeyFallbacks...)
	return session.NewManager(store, signer, opts), nil
}
