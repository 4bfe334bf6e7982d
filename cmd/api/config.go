package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/djsessions/api/internal/database"
	"github.com/djsessions/api/internal/password"
	"github.com/djsessions/api/internal/session/redisstore"
)

// varDir is where the embedded defaults live: the SQLite database and the
// generated SECRET_KEY.
const varDir = "var"

// Config is the API's configuration, read once from the environment. The
// names and defaults are Django's where Django has the setting.
type Config struct {
	Env                string // APP_ENV: "development" or "production"
	DatabaseURL        string
	DatabaseMaxConns   int // DATABASE_MAX_CONNS: the pool's size
	SecretKey          string
	SecretKeyFallbacks []string
	SecretKeyGenerated bool // SECRET_KEY was not set: generated once and kept in var/
	SessionEngine      string
	EncryptionKeys     [][]byte // SESSION_ENCRYPTION_KEYS; none: data is stored as Django stores it
	FilePath           string   // SESSION_FILE_PATH, for the file engine
	CacheURL           string   // SESSION_CACHE_URL, for the cache and cached_db engines
	CacheKeyPrefix     string   // SESSION_CACHE_KEY_PREFIX: two deployments on one Redis keep apart

	CookieAge            time.Duration
	CookieName           string
	CookieDomain         string
	CookiePath           string
	CookieSecure         bool
	CookieHTTPOnly       bool
	CookieSameSite       http.SameSite
	SaveEveryRequest     bool
	ExpireAtBrowserClose bool
	RememberMeAge        time.Duration
	IdleTimeout          time.Duration // 0: off
	PasswordIterations   int

	LoginMaxFailures        int
	LoginMaxFailuresPerAddr int
	LoginFailureWindow      time.Duration
	TrustedProxies          []*net.IPNet

	// AllowedOrigins are the browser origins (scheme://host[:port]) that
	// may call the API with credentials (CORS), and whose cross-origin
	// writes are trusted.
	AllowedOrigins []string

	ListenAddr string
	// PprofAddr, when set, serves Go's profiler (net/http/pprof) there, on
	// a listener of its own, never on LISTEN_ADDR: it reveals the process's
	// internals and must stay on the operators' network.
	PprofAddr string
	LogLevel  slog.Level
}

// engines maps every accepted SESSION_ENGINE, Django's dotted names too, to
// the engine's short name.
var engines = map[string]string{
	"db":                                     "db",
	"django.contrib.sessions.backends.db":    "db",
	"cache":                                  "cache",
	"django.contrib.sessions.backends.cache": "cache",
	"cached_db":                              "cached_db",
	"django.contrib.sessions.backends.cached_db": "cached_db",
	"file":                                  "file",
	"django.contrib.sessions.backends.file": "file",
	"signed_cookies":                        "signed_cookies",
	"django.contrib.sessions.backends.signed_cookies": "signed_cookies",
}

// loadConfig reads the configuration through getenv. Every bad value is
// reported, each naming its variable, so that one start-up shows them all.
func loadConfig(getenv func(string) string) (Config, error) {
	p := parser{getenv: getenv}
	c := Config{
		Env:                p.oneOf("APP_ENV", "development", "development", "production"),
		DatabaseURL:        p.str("DATABASE_URL", "sqlite:./"+varDir+"/db.sqlite3"),
		DatabaseMaxConns:   p.integer("DATABASE_MAX_CONNS", database.DefaultMaxConns, 1, 10_000),
		SecretKey:          getenv("SECRET_KEY"),
		SecretKeyFallbacks: p.list("SECRET_KEY_FALLBACKS"),
		EncryptionKeys:     p.keys("SESSION_ENCRYPTION_KEYS"),
		FilePath:           p.str("SESSION_FILE_PATH", os.TempDir()),
		CacheURL:           p.str("SESSION_CACHE_URL", "redis://127.0.0.1:6379/0"),
		CacheKeyPrefix:     p.str("SESSION_CACHE_KEY_PREFIX", "djsessions:"),

		CookieAge:            p.seconds("SESSION_COOKIE_AGE", 1209600),
		CookieName:           p.str("SESSION_COOKIE_NAME", "sessionid"),
		CookieDomain:         p.str("SESSION_COOKIE_DOMAIN", ""),
		CookiePath:           p.str("SESSION_COOKIE_PATH", "/"),
		CookieSecure:         p.boolean("SESSION_COOKIE_SECURE", false),
		CookieHTTPOnly:       p.boolean("SESSION_COOKIE_HTTPONLY", true),
		CookieSameSite:       p.sameSite("SESSION_COOKIE_SAMESITE"),
		SaveEveryRequest:     p.boolean("SESSION_SAVE_EVERY_REQUEST", false),
		ExpireAtBrowserClose: p.boolean("SESSION_EXPIRE_AT_BROWSER_CLOSE", false),
		RememberMeAge:        p.seconds("SESSION_REMEMBER_ME_AGE", 2592000),
		IdleTimeout:          time.Duration(p.integer("SESSION_IDLE_TIMEOUT", 7200, 0, 10*365*24*3600)) * time.Second,
		PasswordIterations:   p.integer("PASSWORD_HASHER_ITERATIONS", password.DefaultIterations, 1000, 100_000_000),

		LoginMaxFailures:        p.integer("LOGIN_MAX_FAILURES", 5, 1, 1_000_000),
		LoginMaxFailuresPerAddr: p.integer("LOGIN_MAX_FAILURES_PER_ADDR", 50, 1, 1_000_000),
		LoginFailureWindow:      p.seconds("LOGIN_FAILURE_WINDOW", 900),
		TrustedProxies:          p.networks("TRUSTED_PROXIES"),
		AllowedOrigins:          p.origins("CORS_ALLOWED_ORIGINS"),

		ListenAddr: p.str("LISTEN_ADDR", "127.0.0.1:8000"),
		PprofAddr:  p.str("PPROF_ADDR", ""),
		LogLevel:   p.logLevel("LOG_LEVEL"),
	}

	engine := p.str("SESSION_ENGINE", "db")
	switch c.SessionEngine = engines[engine]; c.SessionEngine {
	case "db", "signed_cookies":
	case "cache", "cached_db":
		if rdb, err := redisstore.NewClient(c.CacheURL); err != nil {
			p.fail("SESSION_CACHE_URL", "is not a redis://, rediss:// or redis-cluster:// URL")
		} else {
			rdb.Close() // it had not connected: clients connect on their first command
		}
		if err := redisstore.CheckPrefix(c.CacheKeyPrefix); err != nil {
			p.fail("SESSION_CACHE_KEY_PREFIX", "%v", err)
		}
	case "file":
		if st, err := os.Stat(c.FilePath); err != nil || !st.IsDir() {
			p.fail("SESSION_FILE_PATH", "%q must be an existing directory, as Django requires", c.FilePath)
		}
	case "":
		p.fail("SESSION_ENGINE", "%q is not an engine; use db, cache, cached_db, file or signed_cookies", engine)
	}
	if !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") &&
		!strings.HasPrefix(c.DatabaseURL, "sqlite:") {
		p.fail("DATABASE_URL", "must start with postgres://, postgresql:// or sqlite:")
	}
	if c.CookieSameSite == http.SameSiteNoneMode && !c.CookieSecure {
		p.fail("SESSION_COOKIE_SAMESITE", "None needs SESSION_COOKIE_SECURE=true: browsers drop such cookies otherwise")
	}
	// Browsers match the prefixes without regard to case (RFC 6265bis), and
	// drop a cookie that breaks their rules: no session would ever stick.
	switch name := strings.ToLower(c.CookieName); {
	case strings.HasPrefix(name, "__host-") && (!c.CookieSecure || c.CookiePath != "/" || c.CookieDomain != ""):
		p.fail("SESSION_COOKIE_NAME", "a __Host- cookie needs SESSION_COOKIE_SECURE=true, SESSION_COOKIE_PATH=/ and no SESSION_COOKIE_DOMAIN")
	case strings.HasPrefix(name, "__secure-") && !c.CookieSecure:
		p.fail("SESSION_COOKIE_NAME", "a __Secure- cookie needs SESSION_COOKIE_SECURE=true")
	}
	// net/http silently drops a cookie it considers invalid, so check now.
	if err := (&http.Cookie{Name: c.CookieName, Value: "x"}).Valid(); err != nil {
		p.fail("SESSION_COOKIE_NAME", "%q is not a valid cookie name (letters, digits and !#$%%&'*+-.^_`|~ only)", c.CookieName)
	}
	if err := (&http.Cookie{Name: "x", Value: "x", Domain: c.CookieDomain}).Valid(); c.CookieDomain != "" && err != nil {
		p.fail("SESSION_COOKIE_DOMAIN", "%q is not a valid cookie domain", c.CookieDomain)
	}
	if !strings.HasPrefix(c.CookiePath, "/") || strings.ContainsAny(c.CookiePath, ";\x00\r\n") {
		p.fail("SESSION_COOKIE_PATH", "%q must start with / and hold no ';' or control characters", c.CookiePath)
	}
	for i, k := range c.SecretKeyFallbacks {
		if k == "" {
			p.fail("SECRET_KEY_FALLBACKS", "entry %d is empty", i+1)
		}
	}
	return c, errors.Join(p.errs...)
}

// ensureSecretKey makes sure a SECRET_KEY is set. Outside production, when
// none was given, it uses the one kept in var/secret_key, generating it on
// the first start so that sessions survive restarts.
func (c *Config) ensureSecretKey() error {
	if c.SecretKey != "" {
		return nil
	}
	if c.Env == "production" {
		return errors.New("SECRET_KEY: is required when APP_ENV=production (the key that signs sessions must be the same on every process and every restart)")
	}
	path := filepath.Join(varDir, "secret_key")
	key, err := readSecret(path)
	if errors.Is(err, os.ErrNotExist) {
		key, err = createSecret(path)
	}
	if err != nil {
		return fmt.Errorf("SECRET_KEY: not set, and %w", err)
	}
	c.SecretKey, c.SecretKeyGenerated = key, true
	return nil
}

func readSecret(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	key := strings.TrimSpace(string(b))
	if key == "" {
		return "", fmt.Errorf("%s is empty: delete it to have a new key generated, or set SECRET_KEY", path)
	}
	return key, nil
}

// createSecret writes a new key to path, unless another process starting at
// the same moment did first: the key is written to a temporary file and
// linked into place, which fails if path exists, so a reader never sees a
// half-written key and both processes end up with the same one.
func createSecret(path string) (string, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".secret_key-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	key := randomSecret()
	_, werr := tmp.WriteString(key + "\n")
	if err := errors.Join(werr, tmp.Chmod(0o600), tmp.Close()); err != nil {
		return "", err
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, os.ErrExist) {
		return readSecret(path)
	} else if err != nil {
		return "", err
	}
	return key, nil
}

// randomSecret is Django's get_random_secret_key: 50 characters.
func randomSecret() string {
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)"
	b := make([]byte, 50)
	for i := range b {
		var r [1]byte
		for {
			rand.Read(r[:])
			if r[0] < 250 { // 250 = 5 × 50: no character more likely than another
				break
			}
		}
		b[i] = chars[r[0]%50]
	}
	return string(b)
}

// LogValue prints the configuration with secrets masked.
func (c Config) LogValue() slog.Value {
	db := redactURL(c.DatabaseURL)
	secret := "set"
	if c.SecretKeyGenerated {
		secret = "generated, kept in " + filepath.Join(varDir, "secret_key")
	}
	return slog.GroupValue(
		slog.String("APP_ENV", c.Env),
		slog.String("DATABASE_URL", db),
		slog.Int("DATABASE_MAX_CONNS", c.DatabaseMaxConns),
		slog.String("SECRET_KEY", secret),
		slog.Int("SECRET_KEY_FALLBACKS", len(c.SecretKeyFallbacks)),
		slog.Int("SESSION_ENCRYPTION_KEYS", len(c.EncryptionKeys)),
		slog.String("SESSION_ENGINE", c.SessionEngine),
		slog.String("SESSION_FILE_PATH", c.FilePath),
		slog.String("SESSION_CACHE_URL", redactURL(c.CacheURL)),
		slog.String("SESSION_CACHE_KEY_PREFIX", c.CacheKeyPrefix),
		slog.Int("SESSION_COOKIE_AGE", int(c.CookieAge/time.Second)),
		slog.String("SESSION_COOKIE_NAME", c.CookieName),
		slog.String("SESSION_COOKIE_DOMAIN", c.CookieDomain),
		slog.String("SESSION_COOKIE_PATH", c.CookiePath),
		slog.Bool("SESSION_COOKIE_SECURE", c.CookieSecure),
		slog.Bool("SESSION_COOKIE_HTTPONLY", c.CookieHTTPOnly),
		slog.String("SESSION_COOKIE_SAMESITE", sameSiteName(c.CookieSameSite)),
		slog.Bool("SESSION_SAVE_EVERY_REQUEST", c.SaveEveryRequest),
		slog.Bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", c.ExpireAtBrowserClose),
		slog.Int("SESSION_REMEMBER_ME_AGE", int(c.RememberMeAge/time.Second)),
		slog.Int("SESSION_IDLE_TIMEOUT", int(c.IdleTimeout/time.Second)),
		slog.Int("PASSWORD_HASHER_ITERATIONS", c.PasswordIterations),
		slog.Int("LOGIN_MAX_FAILURES", c.LoginMaxFailures),
		slog.Int("LOGIN_MAX_FAILURES_PER_ADDR", c.LoginMaxFailuresPerAddr),
		slog.Int("LOGIN_FAILURE_WINDOW", int(c.LoginFailureWindow/time.Second)),
		slog.Any("TRUSTED_PROXIES", c.TrustedProxies),
		slog.Any("CORS_ALLOWED_ORIGINS", c.AllowedOrigins),
		slog.String("LISTEN_ADDR", c.ListenAddr),
		slog.String("PPROF_ADDR", c.PprofAddr),
		slog.String("LOG_LEVEL", c.LogLevel.String()),
	)
}

// redactURL masks the passwords of a database URL, in its user part and in
// a password parameter; a URL that does not parse is shown as its scheme.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		scheme, _, _ := strings.Cut(raw, ":")
		return scheme + ":(unparsable URL hidden)"
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// parser reads typed values and collects the errors.
type parser struct {
	getenv func(string) string
	errs   []error
}

func (p *parser) fail(name, format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf("%s: "+format, append([]any{name}, args...)...))
}

func (p *parser) str(name, def string) string {
	if v := p.getenv(name); v != "" {
		return v
	}
	return def
}

func (p *parser) oneOf(name, def string, allowed ...string) string {
	v := p.str(name, def)
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	p.fail(name, "%q is not one of %s", v, strings.Join(allowed, ", "))
	return def
}

func (p *parser) list(name string) []string {
	v := p.getenv(name)
	if v == "" {
		return nil
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		out = append(out, strings.TrimSpace(s))
	}
	return out
}

// keys reads a comma-separated list of 32-byte keys, each as 64 hex digits
// or as base64 (standard or URL-safe, padded or not).
func (p *parser) keys(name string) [][]byte {
	var keys [][]byte
	for i, v := range p.list(name) {
		k, err := hex.DecodeString(v)
		if err != nil {
			for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
				if k, err = enc.DecodeString(v); err == nil {
					break
				}
			}
		}
		if err != nil || len(k) != 32 {
			p.fail(name, "key %d is not 32 bytes in hex or base64 (make one with: openssl rand -base64 32)", i+1)
			continue
		}
		keys = append(keys, k)
	}
	return keys
}

func (p *parser) boolean(name string, def bool) bool {
	v := p.getenv(name)
	if v == "" {
		return def
	}
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		return true
	case "0", "false", "no", "off":
		return false
	}
	p.fail(name, "%q is not a boolean (true or false)", v)
	return def
}

func (p *parser) seconds(name string, def int) time.Duration {
	v := p.getenv(name)
	if v == "" {
		return time.Duration(def) * time.Second
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 || n > 10*365*24*3600 {
		p.fail(name, "%q is not a number of seconds from 1 to 315360000", v)
		return time.Duration(def) * time.Second
	}
	return time.Duration(n) * time.Second
}

func (p *parser) integer(name string, def, min, max int) int {
	v := p.getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		p.fail(name, "%q is not a whole number from %d to %d", v, min, max)
		return def
	}
	return n
}

// networks reads addresses and CIDRs; a bare address is a network of one.
func (p *parser) networks(name string) []*net.IPNet {
	var out []*net.IPNet
	for _, s := range p.list(name) {
		if !strings.Contains(s, "/") {
			if ip := net.ParseIP(s); ip != nil {
				bits := 8 * len(ip.To16())
				if ip.To4() != nil {
					ip, bits = ip.To4(), 32
				}
				out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
				continue
			}
		}
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			p.fail(name, "%q is not an address or a CIDR such as 10.0.0.0/8", s)
			continue
		}
		out = append(out, n)
	}
	return out
}

// origins reads browser origins, scheme://host[:port] as a browser sends
// them in Origin: http or https, no path, query, fragment or user. Scheme and
// host are case-insensitive and a default port is implied, so they are
// written in the one form browsers use (lower case, no :443 on https), for
// the comparison with Origin to be exact.
func (p *parser) origins(name string) []string {
	var out []string
	for _, s := range p.list(name) {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
			u.Path != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.Opaque != "" || !validPort(u.Port()) {
			p.fail(name, "%q is not an origin such as https://app.example.com or http://localhost:5173 (scheme, host and port only: no path, not even a trailing /)", s)
			continue
		}
		if strings.Contains(u.Host, "*") {
			p.fail(name, "%q: wildcards are not allowed; list each origin", s)
			continue
		}
		host := strings.ToLower(u.Host)
		if port := u.Port(); (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
			host = strings.ToLower(u.Hostname())
			if strings.Contains(host, ":") {
				host = "[" + host + "]"
			}
		}
		out = append(out, u.Scheme+"://"+host)
	}
	return out
}

func validPort(port string) bool {
	if port == "" {
		return true
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 1 && n <= 65535
}

func (p *parser) sameSite(name string) http.SameSite {
	switch v := p.str(name, "Lax"); strings.ToLower(v) {
	case "lax":
		return http.SameSiteLaxMode
	case "strict":
		return http.SameSiteStrictMode
	case "none":
		return http.SameSiteNoneMode
	default:
		p.fail(name, "%q is not one of Strict, Lax, None", v)
		return http.SameSiteLaxMode
	}
}

func sameSiteName(s http.SameSite) string {
	switch s {
	case http.SameSiteStrictMode:
		return "Strict"
	case http.SameSiteNoneMode:
		return "None"
	}
	return "Lax"
}

func (p *parser) logLevel(name string) slog.Level {
	var l slog.Level
	v := p.str(name, "info")
	if err := l.UnmarshalText([]byte(v)); err != nil {
		p.fail(name, "%q is not one of debug, info, warn, error", v)
		return slog.LevelInfo
	}
	return l
}
