package dbstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/session/dbstore"
	"github.com/djsessions/api/internal/session/sessiontest"
	"github.com/djsessions/api/internal/testdb"
)

// databases are the databases the API supports, as testdb makes them.
var databases = []struct {
	name   string
	newURL func(testing.TB) string
}{
	{"postgres", testdb.PostgresURL},
	{"sqlite", testdb.SQLiteURL},
}

func newManager(b *testing.B, url string) *session.Manager {
	b.Helper()
	return session.NewManager(dbstore.New(testdb.Open(b, url)),
		session.NewSigner(session.SaltStore, "django-insecure-bench"), session.Options{})
}

// savedKey saves a typical session and returns its key.
func savedKey(b *testing.B, m *session.Manager) string {
	b.Helper()
	s := m.New()
	sessiontest.FillTypical(b, s)
	if err := m.Save(context.Background(), s); err != nil {
		b.Fatal(err)
	}
	return s.Key()
}

// BenchmarkManager measures what a request pays for its session: a Load, and
// a Save that creates a session or updates one.
func BenchmarkManager(b *testing.B) {
	ctx := context.Background()
	for _, db := range databases {
		b.Run(db.name, func(b *testing.B) {
			m := newManager(b, db.newURL(b))

			b.Run("Load", func(b *testing.B) {
				key := savedKey(b, m)
				for b.Loop() {
					s, err := m.Load(ctx, key)
					if err != nil || s.Key() != key {
						b.Fatalf("Load = %v, %v", s, err)
					}
				}
			})

			b.Run("Save/create", func(b *testing.B) {
				for b.Loop() {
					s := m.New()
					sessiontest.FillTypical(b, s)
					if err := m.Save(ctx, s); err != nil {
						b.Fatal(err)
					}
				}
			})

			b.Run("Save/update", func(b *testing.B) {
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

			b.Run("ClearExpired/nothing-to-do", func(b *testing.B) {
				for b.Loop() {
					if _, err := m.ClearExpired(ctx, 1000, nil); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// BenchmarkStoreLoad isolates the round trip to the database from the
// signing and decoding that Manager.Load adds to it.
func BenchmarkStoreLoad(b *testing.B) {
	ctx := context.Background()
	for _, db := range databases {
		b.Run(db.name, func(b *testing.B) {
			st := dbstore.New(testdb.Open(b, db.newURL(b)))
			const key = "benchmarkkey00000000000000000000"
			if err := st.Create(ctx, key, session.Record{Data: "eyJhIjoxfQ:1r31eq:b_2eVBvHSTQrj8DBBfGLiqsHQahYuK7GuElPyQmN3oc", Expiry: time.Now().Add(time.Hour)}); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, found, err := st.Load(ctx, key); err != nil || !found {
					b.Fatalf("Load = found %v, err %v", found, err)
				}
			}
		})
	}
}
