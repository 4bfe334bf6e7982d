package cart

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/session/dbstore"
	"github.com/djsessions/api/internal/testdb"
)

// catalogFunc is a Catalog whose Active runs a hook first: the moment
// between a request loading its session and changing it.
type catalogFunc func()

func (f catalogFunc) List(context.Context) ([]Product, error) { return nil, nil }

func (f catalogFunc) Active(_ context.Context, ids []int64) ([]Product, error) {
	f()
	ps := make([]Product, len(ids))
	for i, id := range ids {
		ps[i] = Product{ID: id, Name: "p", Price: 100}
	}
	return ps, nil
}

// TestAChangeToASessionLoggedOutMeanwhileIsInterrupted: a logout (or a
// revoke) that deletes the session while a cart change is under way wins;
// the change fails with session.ErrInterrupted, which the API answers 400
// session_interrupted, and the session is not brought back.
func TestAChangeToASessionLoggedOutMeanwhileIsInterrupted(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		ctx := context.Background()
		m := session.NewManager(dbstore.New(testdb.Open(t, newURL(t))),
			session.NewSigner(session.SaltStore, "test"), session.Options{})
		first := m.New()
		if err := first.Set("theme", "dark"); err != nil {
			t.Fatal(err)
		}
		if err := m.Save(ctx, first); err != nil {
			t.Fatal(err)
		}
		key := first.Key()
		s, err := m.Load(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		logout := catalogFunc(func() {
			other, err := m.Load(ctx, key)
			if err == nil {
				err = other.Flush(ctx)
			}
			if err != nil {
				t.Errorf("logging out meanwhile: %v", err)
			}
		})

		_, err = NewService(logout, time.Now).Add(ctx, s, Addition{ProductID: new(int64(1))})

		if !errors.Is(err, session.ErrInterrupted) {
			t.Fatalf("Add = %v, want session.ErrInterrupted", err)
		}
		if again, err := m.Load(ctx, key); err != nil || again.Key() != "" {
			t.Fatalf("after the interrupted change, Load = %q, %v; want the session still gone", again.Key(), err)
		}
	})
}
