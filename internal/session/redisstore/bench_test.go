package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/session/sessiontest"
)

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
// a Save that creates a session or updates one (WATCH, GET, MULTI/EXEC).
func BenchmarkManager(b *testing.B) {
	ctx := context.Background()
	m := session.NewManager(newStore(b, newClient(b)),
		session.NewSigner(session.SaltStore, "django-insecure-bench"), session.Options{})

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
}

// BenchmarkStore isolates the round trips to Redis from the signing and
// decoding that the Manager adds to them.
func BenchmarkStore(b *testing.B) {
	ctx := context.Background()
	st := newStore(b, newClient(b))
	const key = "benchmarkkey00000000000000000000"
	data := "eyJhIjoxfQ:1r31eq:b_2eVBvHSTQrj8DBBfGLiqsHQahYuK7GuElPyQmN3oc"
	r := session.Record{Data: data, Expiry: time.Now().Add(time.Hour)}
	if err := st.Create(ctx, key, r); err != nil {
		b.Fatal(err)
	}

	b.Run("Load", func(b *testing.B) {
		for b.Loop() {
			if _, found, err := st.Load(ctx, key); err != nil || !found {
				b.Fatalf("Load = found %v, err %v", found, err)
			}
		}
	})

	b.Run("Update", func(b *testing.B) {
		for b.Loop() {
			if err := st.Update(ctx, key, func(string) (session.Record, error) { return r, nil }); err != nil {
				b.Fatal(err)
			}
		}
	})
}
