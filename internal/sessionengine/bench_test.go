package sessionengine_test

import (
	"context"
	"testing"

	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/session/sessiontest"
	"github.com/djsessions/api/internal/sessionengine"
	"github.com/djsessions/api/internal/testdb"
	"github.com/djsessions/api/internal/testredis"
)

// BenchmarkEngines compares what a request pays for its session on each
// engine, built as the API builds it: a load (read, verify, decode) and a
// save of a change to an existing session (encode, sign, write, under the
// engine's exclusion), of the same typical session. The database is
// PostgreSQL on this machine, Redis too.
func BenchmarkEngines(b *testing.B) {
	ctx := context.Background()
	for _, engine := range []string{"db", "cache", "cached_db", "file", "signed_cookies"} {
		b.Run(engine, func(b *testing.B) {
			m := newEngine(b, engine)
			b.Run("load", func(b *testing.B) {
				key := savedKey(b, m)
				for b.Loop() {
					s, err := m.Load(ctx, key)
					if err != nil {
						b.Fatal(err)
					}
					if found, err := s.Get("visit_count", new(int)); !found || err != nil {
						b.Fatalf("the session was not loaded: found %v, %v", found, err)
					}
				}
			})
			b.Run("save", func(b *testing.B) {
				s, err := m.Load(ctx, savedKey(b, m))
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for b.Loop() {
					n++
					if err := s.Set("visit_count", n); err != nil {
						b.Fatal(err)
					}
					if err := m.Save(ctx, s); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// newEngine builds the named engine on this machine's PostgreSQL and
// Redis, each under a name of the benchmark's own.
func newEngine(b *testing.B, engine string) *session.Manager {
	b.Helper()
	url := testdb.PostgresURL(b)
	s := sessionengine.Settings{Engine: engine, SecretKey: "django-insecure-bench", FilePath: b.TempDir()}
	if engine == "cache" || engine == "cached_db" {
		s.CacheURL = testredis.URL()
		s.CacheKeyPrefix = testredis.Prefix(b, testredis.Client(b))
	}
	eng, err := sessionengine.New(s, testdb.Open(b, url), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(eng.Close)
	return eng.Sessions
}

// savedKey saves a typical session and returns its key: for
// signed_cookies, the cookie.
func savedKey(b *testing.B, m *session.Manager) string {
	b.Helper()
	s := m.New()
	sessiontest.FillTypical(b, s)
	if err := m.Save(context.Background(), s); err != nil {
		b.Fatal(err)
	}
	return s.Key()
}
