package auth

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/djsessions/api/internal/password"
	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/session/dbstore"
	"github.com/djsessions/api/internal/testdb"
)

// A password change made through another process re-signs the session
// there; its next request may reach a process whose copy of the user still
// has the old password. The check must read the user again, not flush.
func TestASessionIsNeverFlushedOnTheWordOfAStaleCachedUser(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t, testdb.PostgresURL(t))
	repo := NewRepository(db)
	hasher := password.NewHasher(1000)
	u, err := repo.Create(ctx, "stale_copy", "", hasher.Make("first-Passw0rd"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cache := NewUserCache(repo, time.Minute)
	cache.setListening(true)                         // as if listening; no notification will come
	if _, err := cache.ByID(ctx, u.ID); err != nil { // the copy, with the old password
		t.Fatal(err)
	}
	changed := hasher.Make("second-Passw0rd")
	if err := repo.SetPassword(ctx, u.ID, changed); err != nil { // by another process
		t.Fatal(err)
	}

	svc := NewService(cache, Config{Hasher: hasher, Secret: "secret"})
	m := session.NewManager(dbstore.New(db), session.NewSigner(session.SaltStore, "secret"), session.Options{})
	s := m.New()
	for k, v := range map[string]string{keyUserID: strconv.FormatInt(u.ID, 10), keyBackend: backend, keyHash: svc.authHash(changed)} {
		if err := s.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Save(ctx, s); err != nil {
		t.Fatal(err)
	}

	got, found, err := svc.Current(ctx, s)
	if err != nil || !found || got.ID != u.ID {
		t.Fatalf("Current = %+v, found %v, err %v; want the user, read again past the stale copy", got, found, err)
	}
	if s.Key() == "" {
		t.Fatal("the session was flushed")
	}
}
