package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/jmoiron/sqlx"

	api "github.com/djsessions/api"
	"github.com/djsessions/api/internal/auth"
	"github.com/djsessions/api/internal/cart"
	"github.com/djsessions/api/internal/database"
	"github.com/djsessions/api/internal/password"
	"github.com/djsessions/api/internal/server"
	"github.com/djsessions/api/internal/sessionengine"
	"github.com/djsessions/api/internal/wizard"
)

// shutdownGrace is how long in-flight requests get to finish on SIGTERM.
const shutdownGrace = 30 * time.Second

// serve runs the API until ctx is cancelled, then lets in-flight requests
// finish (and save their sessions) before returning. listening, if not nil,
// is told the address once the API accepts connections.
func serve(ctx context.Context, cfg Config, logger *slog.Logger, listening func(net.Addr)) error {
	if err := cfg.ensureSecretKey(); err != nil {
		return err
	}
	if cfg.SecretKeyGenerated {
		logger.Warn("SECRET_KEY is not set: using a key generated for this machine; set SECRET_KEY in production, and the same on every process")
	}
	logger.Info("configuration", "config", cfg)

	db, err := openDatabase(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()

	m := newMetrics()
	sessionengine.UseRedisLogger(logger)
	eng, err := newEngine(cfg, db, logger, m)
	if err != nil {
		return err
	}
	defer eng.Close()
	sessions := eng.Sessions
	users, err := newUsers(ctx, cfg, db, logger)
	if err != nil {
		return err
	}
	handler := server.New(server.Deps{
		Logger:   logger,
		Sessions: sessions,
		Auth: auth.NewService(users, auth.Config{
			Hasher:        password.NewHasher(cfg.PasswordIterations),
			Secret:        cfg.SecretKey,
			Fallbacks:     cfg.SecretKeyFallbacks,
			RememberMeAge: cfg.RememberMeAge,
			IdleTimeout:   cfg.IdleTimeout,
			Sessions:      sessions,
			Limiter: auth.NewThrottle(db, auth.ThrottleLimits{
				PerUser: cfg.LoginMaxFailures, PerAddr: cfg.LoginMaxFailuresPerAddr, Window: cfg.LoginFailureWindow,
			}),
			Failures: m,
		}),
		Wizard:         wizard.NewService(wizard.NewRepository(db), nil),
		Cart:           cart.NewService(cart.NewRepository(db), time.Now),
		TrustedProxies: cfg.TrustedProxies,
		AllowedOrigins: cfg.AllowedOrigins,
		HSTS:           cfg.CookieSecure,
		Metrics:        m,
		Checks:         append([]server.Check{{Name: "database", Func: db.PingContext}}, eng.Checks...),
		OpenAPI:        api.OpenAPI,
	})

	if cfg.PprofAddr != "" {
		stop, err := servePprof(cfg.PprofAddr, logger)
		if err != nil {
			return err
		}
		defer stop()
	}
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("LISTEN_ADDR: %w", err)
	}
	srv := newHTTPServer(handler, logger)
	logger.Info("listening", "addr", "http://"+ln.Addr().String())
	if listening != nil {
		listening(ln.Addr())
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down: waiting for requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close() // the grace period is over: cut what is left
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("stopped")
	return nil
}

// servePprof serves Go's profiler on addr until stop is called.
func servePprof(addr string, logger *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("PPROF_ADDR: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	logger.Info("profiler listening", "addr", "http://"+ln.Addr().String()+"/debug/pprof/")
	return func() { srv.Close() }, nil
}

// newUsers is the accounts' user store: on PostgreSQL, with the users that
// sessions name cached, and dropped when PostgreSQL announces a change; on
// SQLite, which announces nothing, every check reads the table.
func newUsers(ctx context.Context, cfg Config, db *sqlx.DB, logger *slog.Logger) (auth.Users, error) {
	repo := auth.NewRepository(db)
	if db.DriverName() != database.Postgres {
		return repo, nil
	}
	cache := auth.NewUserCache(repo, time.Minute)
	if err := cache.Listen(ctx, cfg.DatabaseURL, logger); err != nil {
		return nil, fmt.Errorf("DATABASE_URL: listening for user changes: %w", err)
	}
	return cache, nil
}

// maxHeaderBytes bounds the request line and headers together. A browser
// keeps at most about 4 KiB per cookie, and a session cookie is one of them;
// 32 KiB leaves room for a domain's other cookies and still keeps a client
// from making the server buffer a megabyte (net/http's default) of headers
// per connection. Past it, net/http answers 431 itself.
const maxHeaderBytes = 32 << 10

// newHTTPServer returns the http.Server that serves handler: every phase of
// a connection has a deadline, so that a slow or stalled client cannot hold
// a connection (and its goroutine) open, and the headers have a size limit.
// The body's limit is web.LimitBody's, in the handler.
func newHTTPServer(handler http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// openDatabase connects to DATABASE_URL and brings its schema up to date.
func openDatabase(ctx context.Context, cfg Config) (*sqlx.DB, error) {
	if err := database.Migrate(cfg.DatabaseURL); err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	db, err := database.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	database.SetMaxConns(db, cfg.DatabaseMaxConns)
	return db, nil
}
