package filestore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/djsessions/api/internal/session"
)

// typicalSession fills s as a logged-in shopper's session looks, the same
// session as dbstore's benchmark saves, so that the figures compare.
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

// BenchmarkManager measures what a request pays for its session: a Load,
// and a Save that creates a session or updates one. The directory is
// b.TempDir(), under TMPDIR: on tmpfs the fsyncs cost nothing, so set
// TMPDIR to a directory on the disk the sessions would live on.
func BenchmarkManager(b *testing.B) {
	ctx := context.Background()
	m := session.NewManager(newStore(b, b.TempDir()),
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
}

// BenchmarkStoreLoad isolates the reading of a file from the signing and
// decoding that Manager.Load adds to it.
func BenchmarkStoreLoad(b *testing.B) {
	ctx := context.Background()
	st := newStore(b, b.TempDir())
	if err := st.Create(ctx, key(1), rec("eyJhIjoxfQ:1r31eq:b_2eVBvHSTQrj8DBBfGLiqsHQahYuK7GuElPyQmN3oc", time.Now().Add(time.Hour))); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, found, err := st.Load(ctx, key(1)); err != nil || !found {
			b.Fatalf("Load = found %v, err %v", found, err)
		}
	}
}

// BenchmarkDeleteExpired measures a clearsessions batch that finds nothing
// to do: the cost of reading the directory, per number of live sessions.
func BenchmarkDeleteExpired(b *testing.B) {
	ctx := context.Background()
	for _, live := range []int{100, 1000} {
		b.Run(fmt.Sprintf("nothing-to-do/%d-live", live), func(b *testing.B) {
			st := newStore(b, b.TempDir())
			for i := range live {
				if err := st.Create(ctx, key(i), rec("live", time.Now().Add(time.Hour))); err != nil {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				if n, err := st.DeleteExpired(ctx, time.Now(), 5000); n != 0 || err != nil {
					b.Fatalf("DeleteExpired = %d, %v", n, err)
				}
			}
		})
	}
}
