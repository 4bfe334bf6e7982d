package main

import (
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestConfigDefaultsAreAPIMdSettings(t *testing.T) {
	c, err := loadConfig(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Env: "development", DatabaseURL: "sqlite:./var/db.sqlite3", SessionEngine: "db",
		CookieAge: 1209600 * time.Second, CookieName: "sessionid", CookiePath: "/",
		CookieHTTPOnly: true, CookieSameSite: http.SameSiteLaxMode,
		ListenAddr: "127.0.0.1:8000", LogLevel: slog.LevelInfo,
	}
	if c.Env != want.Env || c.DatabaseURL != want.DatabaseURL || c.SessionEngine != want.SessionEngine ||
		c.CookieAge != want.CookieAge || c.CookieName != want.CookieName || c.CookiePath != want.CookiePath ||
		c.CookieDomain != "" || c.CookieSecure || !c.CookieHTTPOnly || c.CookieSameSite != want.CookieSameSite ||
		c.SaveEveryRequest || c.ExpireAtBrowserClose || c.ListenAddr != want.ListenAddr || c.LogLevel != want.LogLevel ||
		c.SecretKey != "" || len(c.SecretKeyFallbacks) != 0 ||
		c.RememberMeAge != 30*24*time.Hour || c.PasswordIterations != 1_000_000 || c.IdleTimeout != 2*time.Hour ||
		c.LoginMaxFailures != 5 || c.LoginMaxFailuresPerAddr != 50 || c.LoginFailureWindow != 15*time.Minute ||
		len(c.TrustedProxies) != 0 || c.DatabaseMaxConns != 20 {
		t.Fatalf("defaults:\n got %+v\nwant %+v", c, want)
	}
}

func TestConfigReadsEverySetting(t *testing.T) {
	c, err := loadConfig(env(map[string]string{
		"APP_ENV": "production", "DATABASE_URL": "postgres://u:pw@db/app", "SECRET_KEY": "k",
		"SECRET_KEY_FALLBACKS": "old1, old2", "SESSION_ENGINE": "django.contrib.sessions.backends.db",
		"SESSION_COOKIE_AGE": "60", "SESSION_COOKIE_NAME": "__Host-sessionid", "SESSION_COOKIE_SECURE": "true",
		"SESSION_COOKIE_HTTPONLY": "false", "SESSION_COOKIE_SAMESITE": "Strict", "SESSION_SAVE_EVERY_REQUEST": "1",
		"SESSION_EXPIRE_AT_BROWSER_CLOSE": "yes", "LISTEN_ADDR": ":9000", "LOG_LEVEL": "debug",
		"DATABASE_MAX_CONNS": "4",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.SessionEngine != "db" || c.CookieAge != time.Minute || !c.CookieSecure || c.CookieHTTPOnly ||
		c.CookieSameSite != http.SameSiteStrictMode || !c.SaveEveryRequest || !c.ExpireAtBrowserClose ||
		c.ListenAddr != ":9000" || c.LogLevel != slog.LevelDebug || c.DatabaseMaxConns != 4 || strings.Join(c.SecretKeyFallbacks, "|") != "old1|old2" {
		t.Fatalf("got %+v", c)
	}
}

func TestConfigAcceptsTheSignedCookiesEngineByEitherName(t *testing.T) {
	for _, name := range []string{"signed_cookies", "django.contrib.sessions.backends.signed_cookies"} {
		c, err := loadConfig(env(map[string]string{"SESSION_ENGINE": name}))
		if err != nil || c.SessionEngine != "signed_cookies" {
			t.Fatalf("SESSION_ENGINE=%s: engine %q, err %v", name, c.SessionEngine, err)
		}
	}
}

func TestConfigReadsEncryptionKeysInHexOrBase64(t *testing.T) {
	hexKey := strings.Repeat("ab", 32)
	b64Key := "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=" // the same 32 bytes
	c, err := loadConfig(env(map[string]string{"SESSION_ENCRYPTION_KEYS": hexKey + ", " + b64Key}))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.EncryptionKeys) != 2 || string(c.EncryptionKeys[0]) != string(c.EncryptionKeys[1]) || len(c.EncryptionKeys[0]) != 32 {
		t.Fatalf("keys %x, want the same 32 bytes twice", c.EncryptionKeys)
	}
	for _, bad := range []string{"short", strings.Repeat("ab", 16), strings.Repeat("ab", 33)} {
		_, err := loadConfig(env(map[string]string{"SESSION_ENCRYPTION_KEYS": bad}))
		if err == nil || !strings.Contains(err.Error(), "SESSION_ENCRYPTION_KEYS") {
			t.Errorf("SESSION_ENCRYPTION_KEYS=%s: err %v, want one naming the variable", bad, err)
		}
	}
}

func TestConfigRejectsBadValuesNamingTheVariable(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"unknown engine", map[string]string{"SESSION_ENGINE": "memcached"}, "SESSION_ENGINE"},
		{"cache URL not a URL", map[string]string{"SESSION_ENGINE": "cache", "SESSION_CACHE_URL": "localhost:6379"}, "SESSION_CACHE_URL"},
		{"file path not a directory", map[string]string{"SESSION_ENGINE": "file", "SESSION_FILE_PATH": "/nonexistent/sessions"}, "SESSION_FILE_PATH"},
		{"age not a number", map[string]string{"SESSION_COOKIE_AGE": "two weeks"}, "SESSION_COOKIE_AGE"},
		{"age zero", map[string]string{"SESSION_COOKIE_AGE": "0"}, "SESSION_COOKIE_AGE"},
		{"age negative", map[string]string{"SESSION_COOKIE_AGE": "-5"}, "SESSION_COOKIE_AGE"},
		{"boolean", map[string]string{"SESSION_COOKIE_SECURE": "maybe"}, "SESSION_COOKIE_SECURE"},
		{"samesite", map[string]string{"SESSION_COOKIE_SAMESITE": "Loose"}, "SESSION_COOKIE_SAMESITE"},
		{"samesite none without secure", map[string]string{"SESSION_COOKIE_SAMESITE": "None"}, "SESSION_COOKIE_SAMESITE"},
		{"__Host- without secure", map[string]string{"SESSION_COOKIE_NAME": "__Host-sessionid"}, "SESSION_COOKIE_NAME"},
		{"__Host- with a path", map[string]string{"SESSION_COOKIE_NAME": "__Host-sessionid", "SESSION_COOKIE_SECURE": "true", "SESSION_COOKIE_PATH": "/api"}, "SESSION_COOKIE_NAME"},
		{"__Host- with a domain", map[string]string{"SESSION_COOKIE_NAME": "__Host-sessionid", "SESSION_COOKIE_SECURE": "true", "SESSION_COOKIE_DOMAIN": "example.com"}, "SESSION_COOKIE_NAME"},
		{"__host- in lower case, without secure", map[string]string{"SESSION_COOKIE_NAME": "__host-sessionid"}, "SESSION_COOKIE_NAME"},
		{"__Secure- without secure", map[string]string{"SESSION_COOKIE_NAME": "__Secure-sessionid"}, "SESSION_COOKIE_NAME"},
		{"cookie name with a space", map[string]string{"SESSION_COOKIE_NAME": "my session"}, "SESSION_COOKIE_NAME"},
		{"database url", map[string]string{"DATABASE_URL": "mysql://localhost/db"}, "DATABASE_URL"},
		{"no database connections", map[string]string{"DATABASE_MAX_CONNS": "0"}, "DATABASE_MAX_CONNS"},
		{"log level", map[string]string{"LOG_LEVEL": "loud"}, "LOG_LEVEL"},
		{"app env", map[string]string{"APP_ENV": "staging"}, "APP_ENV"},
		{"cookie name with a parenthesis", map[string]string{"SESSION_COOKIE_NAME": "sess(id"}, "SESSION_COOKIE_NAME"},
		{"cookie domain", map[string]string{"SESSION_COOKIE_DOMAIN": "exa mple.com"}, "SESSION_COOKIE_DOMAIN"},
		{"cookie path", map[string]string{"SESSION_COOKIE_PATH": "api"}, "SESSION_COOKIE_PATH"},
		{"an origin with a path", map[string]string{"CORS_ALLOWED_ORIGINS": "https://app.example/spa"}, "CORS_ALLOWED_ORIGINS"},
		{"an origin with a trailing slash", map[string]string{"CORS_ALLOWED_ORIGINS": "https://app.example/"}, "CORS_ALLOWED_ORIGINS"},
		{"an origin without a scheme", map[string]string{"CORS_ALLOWED_ORIGINS": "app.example"}, "CORS_ALLOWED_ORIGINS"},
		{"an origin of another scheme", map[string]string{"CORS_ALLOWED_ORIGINS": "ftp://app.example"}, "CORS_ALLOWED_ORIGINS"},
		{"a wildcard origin", map[string]string{"CORS_ALLOWED_ORIGINS": "*"}, "CORS_ALLOWED_ORIGINS"},
		{"a wildcard subdomain", map[string]string{"CORS_ALLOWED_ORIGINS": "https://*.app.example"}, "CORS_ALLOWED_ORIGINS"},
		{"an origin with a query", map[string]string{"CORS_ALLOWED_ORIGINS": "https://app.example?x=1"}, "CORS_ALLOWED_ORIGINS"},
		{"an origin with a user", map[string]string{"CORS_ALLOWED_ORIGINS": "https://me@app.example"}, "CORS_ALLOWED_ORIGINS"},
		{"an origin with a bad port", map[string]string{"CORS_ALLOWED_ORIGINS": "https://app.example:99999"}, "CORS_ALLOWED_ORIGINS"},
		{"the null origin", map[string]string{"CORS_ALLOWED_ORIGINS": "null"}, "CORS_ALLOWED_ORIGINS"},
		{"an empty origin in the list", map[string]string{"CORS_ALLOWED_ORIGINS": "https://a.example,,https://b.example"}, "CORS_ALLOWED_ORIGINS"},
		{"idle timeout negative", map[string]string{"SESSION_IDLE_TIMEOUT": "-1"}, "SESSION_IDLE_TIMEOUT"},
		{"no failures allowed", map[string]string{"LOGIN_MAX_FAILURES": "0"}, "LOGIN_MAX_FAILURES"},
		{"failures per address", map[string]string{"LOGIN_MAX_FAILURES_PER_ADDR": "lots"}, "LOGIN_MAX_FAILURES_PER_ADDR"},
		{"failure window", map[string]string{"LOGIN_FAILURE_WINDOW": "0"}, "LOGIN_FAILURE_WINDOW"},
		{"trusted proxies", map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8, proxy.internal"}, "TRUSTED_PROXIES"},
		{"remember-me age", map[string]string{"SESSION_REMEMBER_ME_AGE": "forever"}, "SESSION_REMEMBER_ME_AGE"},
		{"too few iterations", map[string]string{"PASSWORD_HASHER_ITERATIONS": "10"}, "PASSWORD_HASHER_ITERATIONS"},
		{"iterations not a number", map[string]string{"PASSWORD_HASHER_ITERATIONS": "many"}, "PASSWORD_HASHER_ITERATIONS"},
		{"empty fallback", map[string]string{"SECRET_KEY_FALLBACKS": "a,,b"}, "SECRET_KEY_FALLBACKS"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadConfig(env(tc.env))
			if err == nil || !strings.Contains(err.Error(), tc.want+":") {
				t.Fatalf("error %v, want one naming %s", err, tc.want)
			}
		})
	}
}

func TestConfigReadsAllowedOriginsAsBrowsersSendThem(t *testing.T) {
	c, err := loadConfig(env(map[string]string{
		"CORS_ALLOWED_ORIGINS": "https://App.Example.com, http://localhost:5173,HTTPS://spa.example:443, http://[::1]:80, http://10.0.0.1:8080",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := "https://app.example.com|http://localhost:5173|https://spa.example|http://[::1]|http://10.0.0.1:8080"
	if got := strings.Join(c.AllowedOrigins, "|"); got != want {
		t.Fatalf("origins %s, want %s", got, want)
	}
	if c, err := loadConfig(env(nil)); err != nil || len(c.AllowedOrigins) != 0 {
		t.Fatalf("by default: origins %v, err %v; want none", c.AllowedOrigins, err)
	}
}

func TestConfigReportsEveryBadValueAtOnce(t *testing.T) {
	_, err := loadConfig(env(map[string]string{"SESSION_COOKIE_AGE": "x", "LOG_LEVEL": "y"}))
	if err == nil || !strings.Contains(err.Error(), "SESSION_COOKIE_AGE") || !strings.Contains(err.Error(), "LOG_LEVEL") {
		t.Fatalf("error %v, want both variables named", err)
	}
}

func TestConfigLogMasksSecrets(t *testing.T) {
	c, err := loadConfig(env(map[string]string{
		"SECRET_KEY": "very-secret-key", "SECRET_KEY_FALLBACKS": "older-secret",
		"DATABASE_URL": "postgres://app:hunter2@db:5432/app?sslmode=require&password=hunter3",
	}))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	slog.New(slog.NewJSONHandler(&b, nil)).Info("configuration", "config", c)
	out := b.String()
	for _, secret := range []string{"very-secret-key", "older-secret", "hunter2", "hunter3"} {
		if strings.Contains(out, secret) {
			t.Errorf("the logged configuration shows %q: %s", secret, out)
		}
	}
	if !strings.Contains(out, "SESSION_COOKIE_AGE") || !strings.Contains(out, "db:5432") {
		t.Errorf("the logged configuration lacks the effective settings: %s", out)
	}
}

func TestGeneratedSecretKeyIsKeptAndReused(t *testing.T) {
	t.Chdir(t.TempDir())
	var first Config
	if err := first.ensureSecretKey(); err != nil {
		t.Fatal(err)
	}
	if len(first.SecretKey) != 50 || !first.SecretKeyGenerated {
		t.Fatalf("generated key %q (generated=%v), want 50 characters", first.SecretKey, first.SecretKeyGenerated)
	}
	info, err := os.Stat(filepath.Join("var", "secret_key"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("var/secret_key has mode %v, want 0600", info.Mode().Perm())
	}
	var second Config
	if err := second.ensureSecretKey(); err != nil {
		t.Fatal(err)
	}
	if second.SecretKey != first.SecretKey {
		t.Fatal("a second start generated another key; sessions would not survive a restart")
	}
}

func TestAGivenSecretKeyIsNeverReplaced(t *testing.T) {
	t.Chdir(t.TempDir())
	c := Config{SecretKey: "given"}
	if err := c.ensureSecretKey(); err != nil {
		t.Fatal(err)
	}
	if c.SecretKey != "given" || c.SecretKeyGenerated {
		t.Fatalf("got %+v", c)
	}
	if _, err := os.Stat("var"); !os.IsNotExist(err) {
		t.Fatal("var/ was created although SECRET_KEY was set")
	}
}

func TestAnUnparsableDatabaseURLIsNotLogged(t *testing.T) {
	if got := redactURL("postgres://app:100%sure@db/app"); strings.Contains(got, "100") {
		t.Fatalf("redactURL showed the password: %q", got)
	}
}

func TestAnEmptySecretKeyFileStopsStartUpNamingIt(t *testing.T) {
	t.Chdir(t.TempDir())
	os.Mkdir("var", 0o750)
	os.WriteFile(filepath.Join("var", "secret_key"), nil, 0o600)
	var c Config
	err := c.ensureSecretKey()
	if err == nil || !strings.Contains(err.Error(), "var/secret_key is empty") {
		t.Fatalf("err %v, want one naming the empty file", err)
	}
}

func TestProcessesStartingTogetherShareOneGeneratedKey(t *testing.T) {
	t.Chdir(t.TempDir())
	keys := make([]string, 8)
	errs := make([]error, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			var c Config
			errs[i] = c.ensureSecretKey()
			keys[i] = c.SecretKey
		})
	}
	wg.Wait()
	for i := range keys {
		if errs[i] != nil || keys[i] != keys[0] {
			t.Fatalf("start %d: key %q, err %v; want every start to get %q", i, keys[i], errs[i], keys[0])
		}
	}
}

func TestConfigReadsTrustedProxiesAndAnIdleTimeoutOfZero(t *testing.T) {
	c, err := loadConfig(env(map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.7, ::1", "SESSION_IDLE_TIMEOUT": "0"}))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range c.TrustedProxies {
		got = append(got, n.String())
	}
	if strings.Join(got, " ") != "10.0.0.0/8 192.168.1.7/32 ::1/128" || c.IdleTimeout != 0 {
		t.Fatalf("TRUSTED_PROXIES %v, SESSION_IDLE_TIMEOUT %v", got, c.IdleTimeout)
	}
}
