package apitest

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/sessionengine"
	"github.com/djsessions/api/internal/testredis"
)

// engineSettings are the settings of the engine opts name, and the proxy
// between it and Redis if it uses Redis and the test named none.
func engineSettings(t testing.TB, opts Options, so session.Options) (sessionengine.Settings, *testredis.Proxy) {
	t.Helper()
	s := sessionengine.Settings{
		Engine: opts.Engine, SecretKey: SecretKey, Options: so,
		CacheURL: opts.CacheURL, CacheKeyPrefix: opts.CachePrefix, DatabaseURL: opts.DatabaseURL,
	}
	var proxy *testredis.Proxy
	switch opts.Engine {
	case "file":
		s.FilePath = sessionDir(t, opts.DatabaseURL)
	case "cache", "cached_db":
		switch {
		case s.CacheURL != "":
		case testredis.IsCluster():
			// A cluster's client follows the masters' own addresses, which
			// no one proxy stands in front of.
			s.CacheURL = testredis.URL()
		default:
			proxy = testredis.NewProxy(t)
			s.CacheURL = proxy.URL()
		}
		if s.CacheKeyPrefix == "" {
			s.CacheKeyPrefix = testredis.PrefixFor(t, testredis.Client(t), opts.DatabaseURL)
		}
	}
	return s, proxy
}

// sessionDirs maps a database URL to the session directory of the apps on
// that database.
var sessionDirs sync.Map

// sessionDir returns the file engine's directory for the apps on the
// database at url: one for all of them, as the processes of a deployment
// share SESSION_FILE_PATH; removed when the test that made it ends.
func sessionDir(t testing.TB, url string) string {
	t.Helper()
	dir := t.TempDir()
	if shared, loaded := sessionDirs.LoadOrStore(url, dir); loaded {
		return shared.(string)
	}
	t.Cleanup(func() { sessionDirs.Delete(url) })
	return dir
}

// StopSessionStore makes every operation of the engine's store fail from
// now on, as a store that is down: db closes the database; cache cuts the
// connection to Redis; cached_db does both, since with either one left its
// sessions are still read; file puts a plain file where the session
// directory was, so that every path under it fails (ENOTDIR) as on a disk
// gone bad. The App's DB is closed on db and cached_db only.
func (a *App) StopSessionStore(t testing.TB) {
	t.Helper()
	switch a.Engine {
	case "db":
		a.DB.Close()
	case "cache", "cached_db":
		if a.proxy == nil && testredis.IsCluster() {
			t.Skip("the test Redis is a cluster, which no proxy can cut: internal/sessionengine's cluster tests kill its masters instead")
		}
		if a.proxy == nil {
			t.Fatal("apitest: the test gave its own CacheURL: cut it itself")
		}
		a.proxy.Down()
		if a.Engine == "cached_db" {
			a.DB.Close()
		}
	case "file":
		dir := a.settings.FilePath
		if err := os.Rename(dir, filepath.Join(filepath.Dir(dir), "stopped")); err != nil {
			t.Fatalf("apitest: %v", err)
		}
		if err := os.WriteFile(dir, nil, 0o600); err != nil {
			t.Fatalf("apitest: %v", err)
		}
	default:
		t.Fatalf("apitest: the %s engine has no store to stop", a.Engine)
	}
}

// SessionDir is the file engine's SESSION_FILE_PATH ("" on the others), for
// a test that reads the session files themselves.
func (a *App) SessionDir() string { return a.settings.FilePath }
