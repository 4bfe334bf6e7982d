package session_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/testdb"
)

// Two requests of one session load it, change it and save it at the same
// time. Django keeps the last writer's copy; here neither change is lost.

func TestSavesOfOneSessionKeepEachOthersChangesToOtherKeys(t *testing.T) {
	ctx := context.Background()
	f := sqliteFixture(t, session.Options{})
	key := f.saved(t, map[string]any{"theme": "light", "cart": "empty", "gone": 1}).Key()

	a, b := f.load(t, key), f.load(t, key)
	mustSet(t, a, "theme", "dark")
	mustSet(t, b, "cart", "3 apples")
	b.Delete("gone")
	for _, s := range []*session.Session{a, b} {
		if err := f.m.Save(ctx, s); err != nil {
			t.Fatal(err)
		}
	}

	got := f.payload(t, key)
	if got["theme"] != "dark" || got["cart"] != "3 apples" || len(got) != 2 {
		t.Fatalf("stored %v, want both requests' changes", got)
	}
	if v := mustGet[string](t, b, "theme"); v != "dark" {
		t.Fatalf("after its save, the second request sees theme %q, want what is stored", v)
	}
}

func TestClearWinsOverWhatWasStoredBeforeTheSave(t *testing.T) {
	ctx := context.Background()
	f := sqliteFixture(t, session.Options{})
	key := f.saved(t, map[string]any{"a": 1}).Key()

	a, b := f.load(t, key), f.load(t, key)
	mustSet(t, a, "b", 2)
	if err := f.m.Save(ctx, a); err != nil {
		t.Fatal(err)
	}
	b.Clear()
	mustSet(t, b, "c", 3)
	if err := f.m.Save(ctx, b); err != nil {
		t.Fatal(err)
	}
	if got := f.payload(t, key); len(got) != 1 || got["c"] != float64(3) {
		t.Fatalf("stored %v after Clear, want only what followed it", got)
	}
}

func TestUpdateRunsOnTheStoredDataNotTheLoadedCopy(t *testing.T) {
	ctx := context.Background()
	f := sqliteFixture(t, session.Options{})
	key := f.saved(t, map[string]any{"n": 0}).Key()

	a, b := f.load(t, key), f.load(t, key)
	for _, s := range []*session.Session{a, b} {
		if err := s.Update(ctx, increment); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.payload(t, key)["n"]; got != float64(2) {
		t.Fatalf("n = %v after two increments from the same loaded copy, want 2", got)
	}
	if b.Modified() {
		t.Fatal("Update saved the session, yet it still reports unsaved changes")
	}
}

func TestConcurrentUpdatesLoseNothingOnEitherDatabase(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		ctx := context.Background()
		f := newFixture(t, newURL(t), session.Options{})
		key := f.saved(t, map[string]any{"n": 0}).Key()

		const requests = 40
		var wg sync.WaitGroup
		for range requests {
			wg.Go(func() {
				s, err := f.m.Load(ctx, key)
				if err == nil {
					err = s.Update(ctx, increment)
				}
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if got := f.payload(t, key)["n"]; got != float64(requests) {
			t.Fatalf("n = %v after %d concurrent increments, want %d", got, requests, requests)
		}
	})
}

func TestUpdateThatFailsSavesNothingAndLeavesTheSessionAsItWas(t *testing.T) {
	ctx := context.Background()
	f := sqliteFixture(t, session.Options{})
	key := f.saved(t, map[string]any{"n": 1}).Key()
	before := f.mustRecord(t, key)

	s := f.load(t, key)
	mustSet(t, s, "pending", true)
	errFull := errors.New("cart full")
	err := s.Update(ctx, func(s *session.Session) error {
		mustSet(t, s, "n", 99)
		return errFull
	})
	if !errors.Is(err, errFull) {
		t.Fatalf("Update returned %v, want the function's error", err)
	}
	if got := f.mustRecord(t, key); got != before {
		t.Fatal("a failed Update wrote to the store")
	}
	if n := mustGet[int](t, s, "n"); n != 1 || !s.Has("pending") || !s.Modified() {
		t.Fatalf("after a failed Update: n %d, pending %v, modified %v; want the session as it was", n, s.Has("pending"), s.Modified())
	}
}

func TestUpdateOfANewSessionCreatesIt(t *testing.T) {
	f := sqliteFixture(t, session.Options{})
	s := f.m.New()
	if err := s.Update(context.Background(), increment); err != nil {
		t.Fatal(err)
	}
	if s.Key() == "" || f.payload(t, s.Key())["n"] != float64(1) {
		t.Fatalf("Update of a new session: key %q, want it stored with n 1", s.Key())
	}
}

func TestUpdateThatChangesNothingInANewSessionStoresNothing(t *testing.T) {
	f := sqliteFixture(t, session.Options{})
	s := f.m.New()
	if err := s.Update(context.Background(), func(s *session.Session) error {
		s.Delete("cart") // nothing to delete
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if s.Key() != "" || f.rows(t) != 0 {
		t.Fatalf("key %q, %d rows; want nothing stored", s.Key(), f.rows(t))
	}
}

func TestUpdateOrCycleOfASessionDeletedMeanwhileIsInterrupted(t *testing.T) {
	for name, change := range map[string]func(context.Context, *session.Session) error{
		"update": func(ctx context.Context, s *session.Session) error { return s.Update(ctx, increment) },
		"cycle":  func(ctx context.Context, s *session.Session) error { return s.CycleKey(ctx) },
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			f := sqliteFixture(t, session.Options{})
			key := f.saved(t, map[string]any{"n": 0}).Key()
			s := f.load(t, key)
			if err := f.load(t, key).Flush(ctx); err != nil { // a concurrent logout
				t.Fatal(err)
			}
			if err := change(ctx, s); !errors.Is(err, session.ErrInterrupted) {
				t.Fatalf("got %v, want ErrInterrupted", err)
			}
			if n := f.rows(t); n != 0 {
				t.Fatalf("%d rows: the logged-out session came back", n)
			}
		})
	}
}

func TestCycleKeyKeepsAChangeMadeMeanwhileByAnotherRequest(t *testing.T) {
	ctx := context.Background()
	f := sqliteFixture(t, session.Options{})
	key := f.saved(t, map[string]any{"cart": "empty"}).Key()

	login, other := f.load(t, key), f.load(t, key)
	mustSet(t, other, "cart", "3 apples")
	if err := f.m.Save(ctx, other); err != nil {
		t.Fatal(err)
	}
	if err := login.CycleKey(ctx); err != nil {
		t.Fatal(err)
	}
	if got := f.payload(t, login.Key())["cart"]; got != "3 apples" {
		t.Fatalf("cart under the new key = %v, want the other request's change", got)
	}
}

func increment(s *session.Session) error {
	var n int
	if _, err := s.Get("n", &n); err != nil {
		return err
	}
	return s.Set("n", n+1)
}

func TestASessionPastItsExpiryDateIsNotLoadedWhateverTheStoreSays(t *testing.T) {
	f := sqliteFixture(t, session.Options{})
	s := f.m.New()
	s.SetExpiryDate(f.clock.Now().Add(time.Hour))
	if err := f.m.Save(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	// The row stays (the store judges by the wall clock), but the session's
	// own date has passed.
	f.clock.Advance(2 * time.Hour)
	if got := f.load(t, s.Key()); !got.IsEmpty() {
		t.Fatalf("a session past its expiry date loaded with %v", got.Keys())
	}
}

func TestASessionCannotGrowPastItsCap(t *testing.T) {
	ctx := context.Background()
	f := sqliteFixture(t, session.Options{MaxSize: 1024})
	big := strings.Repeat("x", 2000)

	fresh := f.m.New()
	mustSet(t, fresh, "big", big)
	if err := f.m.Save(ctx, fresh); !errors.Is(err, session.ErrTooLarge) {
		t.Fatalf("saving a new session past the cap: %v, want ErrTooLarge", err)
	}
	if n := f.rows(t); n != 0 {
		t.Fatalf("%d rows after a refused save, want 0", n)
	}

	key := f.saved(t, map[string]any{"small": 1}).Key()
	before := f.mustRecord(t, key)
	s := f.load(t, key)
	err := s.Update(ctx, func(s *session.Session) error { return s.Set("big", big) })
	if !errors.Is(err, session.ErrTooLarge) {
		t.Fatalf("Update past the cap: %v, want ErrTooLarge", err)
	}
	if f.mustRecord(t, key) != before || s.Has("big") {
		t.Fatal("a refused Update changed the stored session or kept its change")
	}
	if got := session.DefaultMaxSize; got != 64<<10 {
		t.Fatalf("DefaultMaxSize = %d, want the documented 64 KiB", got)
	}
}
