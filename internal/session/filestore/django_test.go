package filestore_test

// These tests check the files against real Django's file session backend,
// through testdata/django_files.py run by Debian's python3-django: one
// Python process per batch of requests, one JSON line per request.

import (
	"context"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/djsessions/api/internal/djangotest"
	"github.com/djsessions/api/internal/session"
)

const secret = "django-insecure-filestore-tests"

type djangoRequest struct {
	Op   string         `json:"op"`
	Key  string         `json:"key,omitempty"`
	Data map[string]any `json:"data,omitempty"`
}

type djangoReply struct {
	ExpiryAge float64        `json:"expiry_age"`
	Data      map[string]any `json:"data"`
	Key       string         `json:"key"`
	Files     []string       `json:"files"`
}

func TestDjangoReadsAndExpiresTheFilesWrittenHere(t *testing.T) {
	dir := t.TempDir()
	st := newStore(t, dir)
	current := newManager(st, time.Now)
	// A clock a cookie age and an hour behind: what it saves has expired.
	behind := newManager(st, func() time.Time { return time.Now().Add(-age - time.Hour) })

	liveData := map[string]any{"greeting": "Grüße", "cart": []any{1.0, 2.0}}
	live := save(t, current, liveData)
	expired := save(t, behind, map[string]any{"n": 1.0})
	save(t, behind, map[string]any{"n": 2.0})
	// A crashed write's leftovers, which Django must take for no session.
	writeFile(t, dir, prefix+live+".lock", "", time.Now())
	writeFile(t, dir, prefix+live+".tmp.123456", "unfinished", time.Now())

	replies := runDjango(t, dir, []djangoRequest{{Op: "load", Key: live}, {Op: "load", Key: expired}, {Op: "clear_expired"}})

	if got := replies[0].ExpiryAge; got > age.Seconds() || got < age.Seconds()-60 {
		t.Errorf("Django gives a session saved now %v seconds to live, want the cookie age, %v", got, age.Seconds())
	}
	if got := replies[0].Data; !reflect.DeepEqual(got, liveData) {
		t.Errorf("Django loads %v, want %v", got, liveData)
	}
	if got := replies[1]; got.ExpiryAge > 0 || len(got.Data) != 0 {
		t.Errorf("Django finds the expired session with %v seconds to live and loads %v; want it expired", got.ExpiryAge, got.Data)
	}
	if got, want := replies[2].Files, []string{prefix + live, prefix + live + ".lock", prefix + live + ".tmp.123456"}; !slices.Equal(got, want) {
		t.Errorf("Django's clearsessions left %v, want %v: the live session and what Django does not take for sessions", got, want)
	}
}

func TestFilesWrittenByDjangoLoadAndUpdateHere(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	m := newManager(newStore(t, dir), time.Now)

	key := runDjango(t, dir, []djangoRequest{{Op: "save", Data: map[string]any{"from": "django", "n": 7}}})[0].Key
	s, err := m.Load(ctx, key)
	must(t, err)
	var from string
	if found, err := s.Get("from", &from); s.Key() != key || !found || err != nil || from != "django" {
		t.Fatalf("Django's session loads here as key %q, from %q (found %v, err %v)", s.Key(), from, found, err)
	}
	must(t, s.Set("n", 8))
	must(t, m.Save(ctx, s))

	got := runDjango(t, dir, []djangoRequest{{Op: "load", Key: key}})[0]
	if want := map[string]any{"from": "django", "n": 8.0}; !reflect.DeepEqual(got.Data, want) {
		t.Fatalf("after an update here, Django loads %v, want %v", got.Data, want)
	}
}

func runDjango(t *testing.T, dir string, requests []djangoRequest) []djangoReply {
	t.Helper()
	args := []string{"--secret", secret, "--path", dir, "--age", strconv.Itoa(int(age.Seconds()))}
	return djangotest.Run[djangoReply](t, "testdata/django_files.py", args, requests)
}

func newManager(st session.Store, now func() time.Time) *session.Manager {
	return session.NewManager(st, session.NewSigner(session.SaltStore, secret), session.Options{Age: age, Now: now})
}

// save saves a new session holding data and returns its key.
func save(t *testing.T, m *session.Manager, data map[string]any) string {
	t.Helper()
	s := m.New()
	for k, v := range data {
		must(t, s.Set(k, v))
	}
	must(t, m.Save(context.Background(), s))
	return s.Key()
}
