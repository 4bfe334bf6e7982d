// Package sessiontest is the conformance suite of the session.Store contract,
// as Django's SessionTestsMixin is for its backends: every store runs it.
package sessiontest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/djsessions/api/internal/session"
)

// Run checks store against the session.Store contract. newStore is called
// once per subtest and must return a store with no sessions in it.
func Run(t *testing.T, newStore func(t *testing.T) session.Store) {
	ctx := context.Background()
	later := time.Now().Add(time.Hour)
	earlier := time.Now().Add(-time.Hour)

	t.Run("an unknown key is not found and is not an error", func(t *testing.T) {
		st := newStore(t)
		mustNotFind(t, st, "nosuchkey0000000000000000000000a")
	})

	t.Run("created data loads back unchanged", func(t *testing.T) {
		st := newStore(t)
		data := "eyJhIjoxfQ:1r31eq:b_2eVBvHSTQrj8DBBfGLiqsHQahYuK7GuElPyQmN3oc"
		must(t, st.Create(ctx, key(1), data, later))
		mustFind(t, st, key(1), data)
	})

	t.Run("large data loads back unchanged", func(t *testing.T) {
		st := newStore(t)
		data := strings.Repeat("abcdefghij", 20_000)
		must(t, st.Create(ctx, key(1), data, later))
		mustFind(t, st, key(1), data)
	})

	t.Run("create refuses a taken key and keeps the first data", func(t *testing.T) {
		st := newStore(t)
		must(t, st.Create(ctx, key(1), "first", later))
		if err := st.Create(ctx, key(1), "second", later); !errors.Is(err, session.ErrKeyExists) {
			t.Fatalf("Create over a taken key: got %v, want ErrKeyExists", err)
		}
		mustFind(t, st, key(1), "first")
	})

	t.Run("save overwrites data", func(t *testing.T) {
		st := newStore(t)
		must(t, st.Create(ctx, key(1), "first", later))
		must(t, st.Save(ctx, key(1), "second", later))
		mustFind(t, st, key(1), "second")
	})

	t.Run("save of an unknown key fails and creates nothing", func(t *testing.T) {
		st := newStore(t)
		if err := st.Save(ctx, key(1), "data", later); !errors.Is(err, session.ErrNotFound) {
			t.Fatalf("Save of an unknown key: got %v, want ErrNotFound", err)
		}
		mustNotFind(t, st, key(1))
	})

	t.Run("save after delete fails and does not resurrect the session", func(t *testing.T) {
		st := newStore(t)
		must(t, st.Create(ctx, key(1), "data", later))
		must(t, st.Delete(ctx, key(1)))
		if err := st.Save(ctx, key(1), "again", later); !errors.Is(err, session.ErrNotFound) {
			t.Fatalf("Save after Delete: got %v, want ErrNotFound", err)
		}
		mustNotFind(t, st, key(1))
	})

	t.Run("delete removes only its session and may be repeated", func(t *testing.T) {
		st := newStore(t)
		must(t, st.Create(ctx, key(1), "one", later))
		must(t, st.Create(ctx, key(2), "two", later))
		must(t, st.Delete(ctx, key(1)))
		must(t, st.Delete(ctx, key(1)))
		must(t, st.Delete(ctx, key(3)))
		mustNotFind(t, st, key(1))
		mustFind(t, st, key(2), "two")
	})

	t.Run("an expired session is never served", func(t *testing.T) {
		st := newStore(t)
		must(t, st.Create(ctx, key(1), "data", earlier))
		mustNotFind(t, st, key(1))
	})

	t.Run("save moves the expiry", func(t *testing.T) {
		st := newStore(t)
		must(t, st.Create(ctx, key(1), "data", later))
		must(t, st.Save(ctx, key(1), "data", earlier))
		mustNotFind(t, st, key(1))
	})

	t.Run("a session expires at its expiry time", func(t *testing.T) {
		st := newStore(t)
		must(t, st.Create(ctx, key(1), "data", time.Now().Add(1500*time.Millisecond)))
		mustFind(t, st, key(1), "data")
		time.Sleep(2 * time.Second)
		mustNotFind(t, st, key(1))
	})

	t.Run("delete expired removes expired sessions only, in batches", func(t *testing.T) {
		st := newStore(t)
		for i := range 5 {
			must(t, st.Create(ctx, key(i), "old", earlier))
		}
		must(t, st.Create(ctx, key(10), "live", later))

		total := 0
		for {
			n, err := st.DeleteExpired(ctx, time.Now(), 2)
			must(t, err)
			if n > 2 {
				t.Fatalf("DeleteExpired(limit 2) removed %d", n)
			}
			if n == 0 {
				break
			}
			total += n
		}
		if total != 5 {
			t.Fatalf("DeleteExpired removed %d in all, want 5", total)
		}
		mustFind(t, st, key(10), "live")
	})

	t.Run("malformed keys are never found and never fail", func(t *testing.T) {
		st := newStore(t)
		for _, k := range []string{"", "short", "../../../../etc/passwd", "a/b", strings.Repeat("a", 41),
			strings.Repeat("x", 5000), "UPPERCASEKEY00000000000000000000", "key with spaces 000000000000000", "k\x00ey00000000", "ключ0000000000"} {
			if _, found, err := st.Load(ctx, k); found || err != nil {
				t.Errorf("Load(%q) = found %v, err %v; want not found, no error", k, found, err)
			}
		}
	})

	t.Run("concurrent creates of one key: exactly one wins", func(t *testing.T) {
		st := newStore(t)
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := range 16 {
			wg.Go(func() {
				err := st.Create(ctx, key(1), fmt.Sprint("writer", i), later)
				switch {
				case err == nil:
					wins.Add(1)
				case !errors.Is(err, session.ErrKeyExists):
					t.Errorf("Create: %v", err)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d concurrent creates of one key succeeded, want 1", wins.Load())
		}
	})

	t.Run("a user index lists a user's live sessions with their meta", func(t *testing.T) {
		idx, st := userIndex(t, newStore(t))
		now := time.Now().UTC().Truncate(time.Second)
		must(t, st.Create(ctx, key(1), "a", later))
		must(t, st.Create(ctx, key(2), "b", later))
		must(t, st.Create(ctx, key(3), "c", earlier)) // expired
		must(t, st.Create(ctx, key(4), "d", later))   // another user's
		must(t, st.Create(ctx, key(5), "e", later))   // nobody's
		meta := session.Meta{UserID: 7, CreatedAt: now, LastActive: now, IP: "192.0.2.1", UserAgent: "curl/8"}
		for _, k := range []string{key(1), key(2), key(3)} {
			must(t, idx.SaveMeta(ctx, k, meta))
		}
		must(t, idx.SaveMeta(ctx, key(4), session.Meta{UserID: 8}))

		entries, err := idx.ByUser(ctx, 7, time.Now())
		must(t, err)
		if len(entries) != 2 {
			t.Fatalf("ByUser(7) listed %d sessions, want its 2 live ones: %+v", len(entries), entries)
		}
		for _, e := range entries {
			if (e.Key != key(1) && e.Key != key(2)) || !e.Meta.CreatedAt.Equal(now) || !e.Meta.LastActive.Equal(now) ||
				e.Meta.IP != meta.IP || e.Meta.UserAgent != meta.UserAgent || e.Meta.UserID != 7 {
				t.Fatalf("entry %+v, want key 1 or 2 with %+v", e, meta)
			}
		}
	})

	t.Run("a user index saves only the meta fields given", func(t *testing.T) {
		idx, st := userIndex(t, newStore(t))
		now := time.Now().UTC().Truncate(time.Second)
		must(t, st.Create(ctx, key(1), "a", later))
		must(t, idx.SaveMeta(ctx, key(1), session.Meta{UserID: 7, CreatedAt: now, IP: "192.0.2.1", UserAgent: "one"}))
		must(t, idx.SaveMeta(ctx, key(1), session.Meta{LastActive: now.Add(time.Minute), UserAgent: "two"}))
		must(t, idx.SaveMeta(ctx, key(9), session.Meta{UserID: 7})) // no such session: not an error

		entries, err := idx.ByUser(ctx, 7, time.Now())
		must(t, err)
		if len(entries) != 1 {
			t.Fatalf("ByUser listed %+v", entries)
		}
		m := entries[0].Meta
		if !m.CreatedAt.Equal(now) || !m.LastActive.Equal(now.Add(time.Minute)) || m.IP != "192.0.2.1" || m.UserAgent != "two" {
			t.Fatalf("meta %+v after a partial save", m)
		}
	})

	t.Run("a user index stores any user agent, however malformed", func(t *testing.T) {
		idx, st := userIndex(t, newStore(t))
		must(t, st.Create(ctx, key(1), "a", later))
		must(t, idx.SaveMeta(ctx, key(1), session.Meta{UserID: 7, UserAgent: "UA\xff\x00" + strings.Repeat("é", 300)}))
		entries, err := idx.ByUser(ctx, 7, time.Now())
		must(t, err)
		if len(entries) != 1 || !strings.HasPrefix(entries[0].Meta.UserAgent, "UA") {
			t.Fatalf("ByUser: %+v", entries)
		}
	})

	t.Run("a user index copies meta to a rotated key", func(t *testing.T) {
		idx, st := userIndex(t, newStore(t))
		must(t, st.Create(ctx, key(1), "a", later))
		must(t, st.Create(ctx, key(2), "a", later))
		must(t, idx.SaveMeta(ctx, key(1), session.Meta{UserID: 7, IP: "192.0.2.1"}))
		must(t, idx.CopyMeta(ctx, key(1), key(2)))
		must(t, st.Delete(ctx, key(1)))

		entries, err := idx.ByUser(ctx, 7, time.Now())
		must(t, err)
		if len(entries) != 1 || entries[0].Key != key(2) || entries[0].Meta.IP != "192.0.2.1" {
			t.Fatalf("ByUser after CopyMeta and Delete: %+v", entries)
		}
	})

	t.Run("concurrent use of many sessions", func(t *testing.T) {
		st := newStore(t)
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				k := key(i)
				if err := st.Create(ctx, k, "v0", later); err != nil {
					t.Errorf("Create: %v", err)
					return
				}
				for j := 1; j <= 5; j++ {
					want := fmt.Sprint("v", j)
					if err := st.Save(ctx, k, want, later); err != nil {
						t.Errorf("Save: %v", err)
						return
					}
					if got, found, err := st.Load(ctx, k); err != nil || !found || got != want {
						t.Errorf("Load(%s) = %q, %v, %v; want %q", k, got, found, err, want)
						return
					}
				}
				if err := st.Delete(ctx, k); err != nil {
					t.Errorf("Delete: %v", err)
				}
			})
		}
		wg.Wait()
	})
}

// key returns a valid session key that differs for each i.
func key(i int) string { return fmt.Sprintf("conformance%021d", i) }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func mustFind(t *testing.T, st session.Store, key, want string) {
	t.Helper()
	got, found, err := st.Load(context.Background(), key)
	if err != nil || !found {
		t.Fatalf("Load(%s) = found %v, err %v; want the session", key, found, err)
	}
	if got != want {
		t.Fatalf("Load(%s) = %.60q…, want %.60q…", key, got, want)
	}
}

func mustNotFind(t *testing.T, st session.Store, key string) {
	t.Helper()
	if _, found, err := st.Load(context.Background(), key); found || err != nil {
		t.Fatalf("Load(%s) = found %v, err %v; want not found, no error", key, found, err)
	}
}

// userIndex returns st as a session.UserIndex, skipping the test for a store
// that has none (it is optional).
func userIndex(t *testing.T, st session.Store) (session.UserIndex, session.Store) {
	t.Helper()
	idx, ok := st.(session.UserIndex)
	if !ok {
		t.Skip("the store keeps no index of sessions by user")
	}
	return idx, st
}
