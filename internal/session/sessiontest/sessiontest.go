// Package sessiontest is the conformance suite of the session.Store contract,
// as Django's SessionTestsMixin is for its backends: every store runs it.
package sessiontest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/djsessions/api/internal/session"
)

// An Option tells Run something about the store that changes what it may
// expect of it.
type Option func(*options)

type options struct {
	expiresByItself bool
}

// ExpiresByItself declares a store whose records cease to exist at their
// expiry without any help (Redis's key expiry), as Django's cache backend
// relies on: its DeleteExpired finds nothing left to remove and says so with
// 0, as the contract's "zero means none are left" allows. Without it, Run
// expects expired records to stay until DeleteExpired removes them.
func ExpiresByItself() Option { return func(o *options) { o.expiresByItself = true } }

// Run checks store against the session.Store contract. newStore is called
// once per subtest and must return a store with no sessions in it.
func Run(t *testing.T, newStore func(t *testing.T) session.Store, opts ...Option) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
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
		must(t, st.Create(ctx, key(1), rec(data, later)))
		mustFind(t, st, key(1), data)
	})

	t.Run("large data loads back unchanged", func(t *testing.T) {
		st := newStore(t)
		data := strings.Repeat("abcdefghij", 20_000)
		must(t, st.Create(ctx, key(1), rec(data, later)))
		mustFind(t, st, key(1), data)
	})

	t.Run("create refuses a taken key and keeps the first data", func(t *testing.T) {
		st := newStore(t)
		must(t, st.Create(ctx, key(1), rec("first", later)))
		if err := st.Create(ctx, key(1), rec("second", later)); !errors.Is(err, session.ErrKeyExists) {
			t.Fatalf("Create over a taken key: got %v, want ErrKeyExists", err)
		}
		mustFind(t, st, key(1), "first")
	})

	t.Run("update gives the edit the current data and stores its record", func(t *testing.T) {
		st := newStore(t)
		must(t, st.Create(ctx, key(1), rec("first", later)))
		var seen string
		must(t, st.Update(ctx, key(1), func(current string) (session.Record, error) {
			seen = current
			return rec(current+"+second", later), nil
		}))
		if seen != "first" {
			t.Fatalf("the edit saw %q, want the stored %q", seen, "first")
		}
		mustFind(t, st, key(1), "first+second")
	})

	t.Run("update whose edit fails changes nothing and returns the edit's error", func(t *testing.T) {
		st := newStore(t)
		must(t, st.Create(ctx, key(1), rec("first", later)))
		errEdit := errors.New("edit refused")
		err := st.Update(ctx, key(1), func(string) (session.Record, error) { return session.Record{}, errEdit })
		if !errors.Is(err, errEdit) {
			t.Fatalf("Update with a failing edit: got %v, want the edit's error", err)
		}
		mustFind(t, st, key(1), "first")
	})

	t.Run("update of an unknown key fails and creates nothing", func(t *testing.T) {
		st := newStore(t)
		if err := st.Update(ctx, key(1), set("data", later)); !errors.Is(err, session.ErrNotFound) {
			t.Fatalf("Update of an unknown key: got %v, want ErrNotFound", err)
		}
		mustNotFind(t, st, key(1))
	})

	t.Run("update after delete fails and does not resurrect the session", func(t *testing.T) {
		st := newStore(t)
		must(t, st.Create(ctx, key(1), rec("data", later)))
		must(t, st.Delete(ctx, key(1)))
		if err := st.Update(ctx, key(1), set("again", later)); !errors.Is(err, session.ErrNotFound) {
			t.Fatalf("Update after Delete: got %v, want ErrNotFound", err)
		}
		mustNotFind(t, st, key(1))
	})

	t.Run("update moves the expiry", func(t *testing.T) {
		st := newStore(t)
		must(t, st.Create(ctx, key(1), rec("data", later)))
		must(t, st.Update(ctx, key(1), set("data", earlier)))
		mustNotFind(t, st, key(1))
	})

	t.Run("concurrent updates of one session lose nothing", func(t *testing.T) {
		st := newStore(t)
		must(t, st.Create(ctx, key(1), rec("0", later)))
		const writers = 24
		var wg sync.WaitGroup
		for range writers {
			wg.Go(func() {
				err := st.Update(ctx, key(1), func(current string) (session.Record, error) {
					n, err := strconv.Atoi(current)
					return rec(strconv.Itoa(n+1), later), err
				})
				if err != nil {
					t.Errorf("Update: %v", err)
				}
			})
		}
		wg.Wait()
		mustFind(t, st, key(1), strconv.Itoa(writers))
	})

	t.Run("rotate moves the session to the new key with the edited data", func(t *testing.T) {
		st := newStore(t)
		must(t, st.Create(ctx, key(1), rec("first", later)))
		must(t, st.Rotate(ctx, key(1), key(2), func(current string) (session.Record, error) {
			return rec(current+"+moved", later), nil
		}))
		mustNotFind(t, st, key(1))
		mustFind(t, st, key(2), "first+moved")
	})

	t.Run("rotate of a deleted session fails and creates nothing", func(t *testing.T) {
		st := newStore(t)
		must(t, st.Create(ctx, key(1), rec("data", later)))
		must(t, st.Delete(ctx, key(1)))
		if err := st.Rotate(ctx, key(1), key(2), set("data", later)); !errors.Is(err, session.ErrNotFound) {
			t.Fatalf("Rotate of a deleted session: got %v, want ErrNotFound", err)
		}
		mustNotFind(t, st, key(2))
	})

	t.Run("rotate onto a taken key fails and changes nothing", func(t *testing.T) {
		st := newStore(t)
		must(t, st.Create(ctx, key(1), rec("one", later)))
		must(t, st.Create(ctx, key(2), rec("two", later)))
		if err := st.Rotate(ctx, key(1), key(2), set("moved", later)); !errors.Is(err, session.ErrKeyExists) {
			t.Fatalf("Rotate onto a taken key: got %v, want ErrKeyExists", err)
		}
		mustFind(t, st, key(1), "one")
		mustFind(t, st, key(2), "two")
	})

	t.Run("rotate and update of one session exclude each other", func(t *testing.T) {
		st := newStore(t)
		must(t, st.Create(ctx, key(1), rec("0", later)))
		const writers = 12
		var interrupted atomic.Int32
		var wg sync.WaitGroup
		incr := func(current string) (session.Record, error) {
			n, err := strconv.Atoi(current)
			return rec(strconv.Itoa(n+1), later), err
		}
		for range writers {
			wg.Go(func() {
				switch err := st.Update(ctx, key(1), incr); {
				case errors.Is(err, session.ErrNotFound):
					interrupted.Add(1)
				case err != nil:
					t.Errorf("Update: %v", err)
				}
			})
		}
		wg.Go(func() {
			if err := st.Rotate(ctx, key(1), key(2), incr); err != nil {
				t.Errorf("Rotate: %v", err)
			}
		})
		wg.Wait()
		// Every update came before the move, and counted, or after it, and
		// found the old key gone: none was applied to a copy and lost.
		mustFind(t, st, key(2), strconv.Itoa(writers-int(interrupted.Load())+1))
	})

	t.Run("delete removes only its session and may be repeated", func(t *testing.T) {
		st := newStore(t)
		must(t, st.Create(ctx, key(1), rec("one", later)))
		must(t, st.Create(ctx, key(2), rec("two", later)))
		must(t, st.Delete(ctx, key(1)))
		must(t, st.Delete(ctx, key(1)))
		must(t, st.Delete(ctx, key(3)))
		mustNotFind(t, st, key(1))
		mustFind(t, st, key(2), "two")
	})

	t.Run("an expired session is never served", func(t *testing.T) {
		st := newStore(t)
		must(t, st.Create(ctx, key(1), rec("data", earlier)))
		mustNotFind(t, st, key(1))
	})

	t.Run("a session expires at its expiry time", func(t *testing.T) {
		st := newStore(t)
		must(t, st.Create(ctx, key(1), rec("data", time.Now().Add(1500*time.Millisecond))))
		mustFind(t, st, key(1), "data")
		time.Sleep(2 * time.Second)
		mustNotFind(t, st, key(1))
	})

	t.Run("delete expired removes expired sessions only, in batches", func(t *testing.T) {
		st := newStore(t)
		for i := range 5 {
			must(t, st.Create(ctx, key(i), rec("old", earlier)))
		}
		must(t, st.Create(ctx, key(10), rec("live", later)))

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
		want := 5
		if o.expiresByItself {
			want = 0 // the store dropped them at their expiry
		}
		if total != want {
			t.Fatalf("DeleteExpired removed %d in all, want %d", total, want)
		}
		for i := range 5 {
			mustNotFind(t, st, key(i))
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
				err := st.Create(ctx, key(1), rec(fmt.Sprint("writer", i), later))
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
		meta := session.Meta{UserID: 7, CreatedAt: now, LastActive: now, IP: "192.0.2.1", UserAgent: "curl/8"}
		must(t, st.Create(ctx, key(1), withMeta(rec("a", later), meta)))
		must(t, st.Create(ctx, key(2), withMeta(rec("b", later), meta)))
		must(t, st.Create(ctx, key(3), withMeta(rec("c", earlier), meta))) // expired
		must(t, st.Create(ctx, key(4), withMeta(rec("d", later), session.Meta{UserID: 8})))
		must(t, st.Create(ctx, key(5), rec("e", later))) // nobody's

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

	t.Run("an update saves only the meta fields given", func(t *testing.T) {
		idx, st := userIndex(t, newStore(t))
		now := time.Now().UTC().Truncate(time.Second)
		must(t, st.Create(ctx, key(1), withMeta(rec("a", later),
			session.Meta{UserID: 7, CreatedAt: now, IP: "192.0.2.1", UserAgent: "one"})))
		must(t, st.Update(ctx, key(1), func(string) (session.Record, error) {
			return withMeta(rec("b", later), session.Meta{LastActive: now.Add(time.Minute), UserAgent: "two"}), nil
		}))

		m := onlyEntry(t, idx, 7).Meta
		if !m.CreatedAt.Equal(now) || !m.LastActive.Equal(now.Add(time.Minute)) || m.IP != "192.0.2.1" || m.UserAgent != "two" {
			t.Fatalf("meta %+v after a partial save", m)
		}
	})

	t.Run("a user index stores any user agent, however malformed", func(t *testing.T) {
		idx, st := userIndex(t, newStore(t))
		must(t, st.Create(ctx, key(1), withMeta(rec("a", later),
			session.Meta{UserID: 7, UserAgent: "UA\xff\x00" + strings.Repeat("é", 300)})))
		if e := onlyEntry(t, idx, 7); !strings.HasPrefix(e.Meta.UserAgent, "UA") {
			t.Fatalf("ByUser: %+v", e)
		}
	})

	t.Run("a rotated session keeps its meta under what the rotation adds", func(t *testing.T) {
		idx, st := userIndex(t, newStore(t))
		must(t, st.Create(ctx, key(1), withMeta(rec("a", later), session.Meta{UserID: 7, IP: "192.0.2.1"})))
		must(t, st.Rotate(ctx, key(1), key(2), func(string) (session.Record, error) {
			return withMeta(rec("a", later), session.Meta{UserAgent: "curl/8"}), nil
		}))
		if e := onlyEntry(t, idx, 7); e.Key != key(2) || e.Meta.IP != "192.0.2.1" || e.Meta.UserAgent != "curl/8" {
			t.Fatalf("ByUser after Rotate: %+v", e)
		}
	})

	t.Run("a user index deletes a user's sessions but the one kept", func(t *testing.T) {
		idx, st := userIndex(t, newStore(t))
		for i := 1; i <= 3; i++ {
			must(t, st.Create(ctx, key(i), withMeta(rec("mine", later), session.Meta{UserID: 7})))
		}
		must(t, st.Create(ctx, key(4), withMeta(rec("theirs", later), session.Meta{UserID: 8})))
		must(t, st.Create(ctx, key(5), rec("nobody's", later)))

		deleted, err := idx.DeleteByUser(ctx, 7, key(2))
		must(t, err)
		slices.Sort(deleted)
		if !slices.Equal(deleted, []string{key(1), key(3)}) {
			t.Fatalf("DeleteByUser deleted %v, want keys 1 and 3", deleted)
		}
		mustNotFind(t, st, key(1))
		mustFind(t, st, key(2), "mine")
		mustNotFind(t, st, key(3))
		mustFind(t, st, key(4), "theirs")
		mustFind(t, st, key(5), "nobody's")

		_, err = idx.DeleteByUser(ctx, 7, "")
		must(t, err)
		mustNotFind(t, st, key(2))
	})

	t.Run("deleting a user's sessions also ends one rotated meanwhile", func(t *testing.T) {
		idx, st := userIndex(t, newStore(t))
		for round := range 20 {
			old, moved := key(2*round), key(2*round+1)
			must(t, st.Create(ctx, old, withMeta(rec("mine", later), session.Meta{UserID: 7})))
			var wg sync.WaitGroup
			wg.Go(func() {
				err := st.Rotate(ctx, old, moved, set("mine", later))
				if err != nil && !errors.Is(err, session.ErrNotFound) {
					t.Errorf("Rotate: %v", err)
				}
			})
			wg.Go(func() {
				if _, err := idx.DeleteByUser(ctx, 7, ""); err != nil {
					t.Errorf("DeleteByUser: %v", err)
				}
			})
			wg.Wait()
			mustNotFind(t, st, old)
			mustNotFind(t, st, moved)
		}
	})

	t.Run("concurrent use of many sessions", func(t *testing.T) {
		st := newStore(t)
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				k := key(i)
				if err := st.Create(ctx, k, rec("v0", later)); err != nil {
					t.Errorf("Create: %v", err)
					return
				}
				for j := 1; j <= 5; j++ {
					want := fmt.Sprint("v", j)
					if err := st.Update(ctx, k, set(want, later)); err != nil {
						t.Errorf("Update: %v", err)
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

func rec(data string, expiry time.Time) session.Record {
	return session.Record{Data: data, Expiry: expiry}
}

func withMeta(r session.Record, m session.Meta) session.Record {
	r.Meta = m
	return r
}

// set is an Edit that stores data whatever is there.
func set(data string, expiry time.Time) session.Edit {
	return func(string) (session.Record, error) { return rec(data, expiry), nil }
}

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

func onlyEntry(t *testing.T, idx session.UserIndex, userID int64) session.Entry {
	t.Helper()
	entries, err := idx.ByUser(context.Background(), userID, time.Now())
	must(t, err)
	if len(entries) != 1 {
		t.Fatalf("ByUser(%d) listed %+v, want one session", userID, entries)
	}
	return entries[0]
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
