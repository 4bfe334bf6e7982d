package filestore_test

import (
	"context"
	"fmt"
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
