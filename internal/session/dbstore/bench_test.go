package dbstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/session/dbstore"
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

// typicalSession fills s as a logged-in shopper's session looks: Django's
// auth keys, a cart of a few lines, preferences, the visit counter.
func typicalSession(b *testing.B, s *session.Session) {
	b.Helper()
	type line struct {
		ProductID int    `json:"product_id"`
		Quantity  int    `json:"quantity"`
		AddedAt   string `json:"added_at"`
	}
	values := map[string]any{
		"_auth_user_id":      "42",
		"_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
		"_auth_user_hash":    "9f4c1a3e0b5d7f2a8c6e4b1d3f5a7c9e0b2d4f6a8c1e3b5d7f9a2c4e6b8d0f1a",
		"login_time":         "2026-12-12T10:00:00+00:00",
		"visit_count":        17,
		"preferences":        map[string]string{"theme": "dark", "language": "en-GB"},
		"cart": []line{
			{1, 2, "2026-12-12T10:01:00+00:00"},
			{7, 1, "2026-12-12T10:02:30+00:00"},
			{12, 3, "2026-12-12T10:05:10+00:00"},
		},
	}
	for k, v := range values {
		if err := s.Set(k, v); err != nil {
			b.Fatal(err)
		}
	}
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
	typicalSession(b, s)
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
					typicalSession(b, s)
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
