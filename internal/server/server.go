// Package server assembles the API: the Echo instance with its middleware,
// error handling, health endpoints and every feature's routes.
package server

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/djsessions/api/internal/apperr"
	"github.com/djsessions/api/internal/auth"
	"github.com/djsessions/api/internal/cart"
	"github.com/djsessions/api/internal/demo"
	"github.com/djsessions/api/internal/docs"
	"github.com/djsessions/api/internal/metrics"
	"github.com/djsessions/api/internal/preferences"
	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/sessionapi"
	"github.com/djsessions/api/internal/web"
	"github.com/djsessions/api/internal/wizard"
)

// Check reports whether one dependency is usable; readiness runs them all.
type Check struct {
	Name string
	Func func(ctx context.Context) error
	// Degrades is set when the API still serves without it (a cache in
	// front of the database): its failure makes readiness "degraded",
	// not a 503 that would take the process out of the load balancer.
	Degrades bool
}

// Deps is what the API is built from.
type Deps struct {
	Logger   *slog.Logger
	Sessions *session.Manager
	Auth     *auth.Service
	Wizard   *wizard.Service
	Cart     *cart.Service
	Checks   []Check // run by GET /readyz
	OpenAPI  []byte  // served at GET /openapi.yaml
	// TrustedProxies are the networks whose X-Forwarded-For is believed
	// (TRUSTED_PROXIES); the client address is otherwise the connection's.
	TrustedProxies []*net.IPNet
	Now            func() time.Time

	// AllowedOrigins (CORS_ALLOWED_ORIGINS) may call the API from browser
	// pages, with credentials, and are trusted for cross-origin writes.
	AllowedOrigins []string
	// HSTS (SESSION_COOKIE_SECURE: the API is served over HTTPS only)
	// sends Strict-Transport-Security.
	HSTS bool
	// Metrics count the requests and are served at GET /metrics; nil
	// counts them on a registry of this server's own.
	Metrics *metrics.Metrics
	// RequestTimeout bounds the store calls of each /api/ request
	// together: its queries, its waits for a pooled connection and its
	// session's save. Default DefaultRequestTimeout.
	RequestTimeout time.Duration
}

// DefaultRequestTimeout is two of the session store's default deadlines:
// one for a handler's queries, one for the session's save after them.
const DefaultRequestTimeout = 10 * time.Second

// New returns the API's HTTP handler.
func New(d Deps) *Server {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Metrics == nil {
		d.Metrics = metrics.New(prometheus.NewRegistry())
	}
	if d.RequestTimeout == 0 {
		d.RequestTimeout = DefaultRequestTimeout
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = web.ErrorHandler(d.Logger)
	e.IPExtractor = clientIP(d.TrustedProxies)

	// Only the API has sessions: a health check must not depend on, or
	// write to, the session store. (A group middleware would do, but Echo
	// then answers 404 instead of 405 for a wrong method in the group.)
	accounts := auth.NewHandler(d.Auth)
	e.Use(web.RequestLogger(d.Logger), d.Metrics.Middleware(), web.Recover(d.Logger), web.JSONCharset,
		under("/api/", web.NoStore), web.StrictTransport(d.HSTS),
		web.CORS(d.AllowedOrigins), web.CrossOrigin(d.AllowedOrigins), web.LimitBody,
		under("/api/", web.Deadline(d.RequestTimeout)),
		under("/api/", d.Sessions.Middleware()), under("/api/", accounts.TrackActivity))

	e.GET("/healthz", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
	})
	e.GET("/readyz", ready(d.Checks, d.Logger))
	e.GET("/openapi.yaml", func(c echo.Context) error {
		return c.Blob(http.StatusOK, "application/yaml", d.OpenAPI)
	})
	e.GET("/metrics", echo.WrapHandler(d.Metrics.Handler()))
	docs.NewHandler().Register(e)
	demo.NewHandler().Register(e)

	api := e.Group("/api")
	accounts.Register(api.Group("/auth"))
	sessionapi.NewHandler(sessionapi.NewService(d.Now)).Register(api.Group("/session"))
	preferences.NewHandler(preferences.NewService()).Register(api.Group("/session/preferences"))
	wizard.NewHandler(d.Wizard, d.Auth).Register(api.Group("/wizard"))
	cart.NewHandler(d.Cart).Register(api)
	return &Server{e}
}

// ready answers 200 when every check passes within a short deadline, so that
// a load balancer stops sending traffic to a process that cannot serve it.
func ready(checks []Check, logger *slog.Logger) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
		defer cancel()
		status, result := "ok", map[string]string{}
		for _, ch := range checks {
			err := ch.Func(ctx)
			switch {
			case err == nil:
				result[ch.Name] = "ok"
			case ch.Degrades:
				logger.Warn("degraded", "check", ch.Name, "err", err)
				status, result[ch.Name] = "degraded", "unavailable"
			default:
				logger.Warn("not ready", "check", ch.Name, "err", err)
				return apperr.New(apperr.Unavailable, "%s is unreachable", ch.Name)
			}
		}
		return c.JSON(http.StatusOK, map[string]any{"status": status, "checks": result})
	}
}

// under applies mw only to requests whose path starts with prefix.
func under(prefix string, mw echo.MiddlewareFunc) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		wrapped := mw(next)
		return func(c echo.Context) error {
			if strings.HasPrefix(c.Request().URL.Path, prefix) {
				return wrapped(c)
			}
			return next(c)
		}
	}
}

// Server is the API's HTTP handler: the Echo instance, which also serves
// HEAD as GET, as HTTP requires (RFC 9110, 9.3.2) and Echo does not do.
type Server struct {
	*echo.Echo
}

// ServeHTTP implements http.Handler. A HEAD request is routed as a GET; the
// http.ResponseWriter still belongs to the HEAD request, so net/http sends
// the headers and drops the body.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodHead {
		r = r.Clone(r.Context())
		r.Method = http.MethodGet
	}
	s.Echo.ServeHTTP(w, r)
}

// clientIP finds the client's address: the connection's, or, when the
// connection comes from a trusted proxy, the nearest untrusted address in
// X-Forwarded-For. Nothing else is trusted, private networks included, so
// that a client cannot pick the address its failed logins count against.
func clientIP(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}
