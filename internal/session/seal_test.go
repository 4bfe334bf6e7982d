package session_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/testdb"
)

// With SESSION_ENCRYPTION_KEYS, what reaches the store is AES-256-GCM
// ciphertext: a dump of the database shows nothing of the sessions.

func sealer(t *testing.T, keys ...string) *session.Sealer {
	t.Helper()
	var raw [][]byte
	for _, k := range keys {
		raw = append(raw, bytes.Repeat([]byte(k), 32)[:32])
	}
	s, err := session.NewSealer(raw...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealedSessionShowsNothingInTheDatabaseAndLoadsBack(t *testing.T) {
	f := sqliteFixture(t, session.Options{Sealer: sealer(t, "a")})
	key := f.saved(t, map[string]any{"card": "4111 1111 1111 1111"}).Key()

	stored := f.mustRecord(t, key).Data
	if !strings.HasPrefix(stored, "gcm1:") {
		t.Fatalf("stored %.60q…, want sealed data", stored)
	}
	for _, leak := range []string{"4111", "card", base64.RawURLEncoding.EncodeToString([]byte(`{"card"`))} {
		if strings.Contains(stored, leak) {
			t.Fatalf("stored data contains %q: %s", leak, stored)
		}
	}
	if got := mustGet[string](t, f.load(t, key), "card"); got != "4111 1111 1111 1111" {
		t.Fatalf("loaded card %q", got)
	}
}

func TestSealingKeysRotate(t *testing.T) {
	ctx := context.Background()
	url := testdb.SQLiteURL(t)
	before := newFixture(t, url, session.Options{Sealer: sealer(t, "old")})
	key := before.saved(t, map[string]any{"cart": "3 apples"}).Key()

	during := newFixture(t, url, session.Options{Sealer: sealer(t, "new", "old")})
	s := during.load(t, key)
	if got := mustGet[string](t, s, "cart"); got != "3 apples" {
		t.Fatalf("with the old key second, cart %q, want it readable", got)
	}
	mustSet(t, s, "cart", "4 apples")
	if err := during.m.Save(ctx, s); err != nil {
		t.Fatal(err)
	}

	after := newFixture(t, url, session.Options{Sealer: sealer(t, "new")})
	if got := mustGet[string](t, after.load(t, key), "cart"); got != "4 apples" {
		t.Fatalf("a session saved during the rotation is not readable with the new key alone: %q", got)
	}
	if s := before.load(t, key); !s.IsEmpty() {
		t.Fatalf("the old key alone opened data sealed with the new one: %v", s.Keys())
	}
}

func TestSessionsSavedBeforeEncryptionStillLoad(t *testing.T) {
	url := testdb.SQLiteURL(t)
	key := newFixture(t, url, session.Options{}).saved(t, map[string]any{"a": 1}).Key()
	if got := mustGet[int](t, newFixture(t, url, session.Options{Sealer: sealer(t, "k")}).load(t, key), "a"); got != 1 {
		t.Fatalf("a = %d", got)
	}
}

func TestSealedDataAlteredIsAnEmptySession(t *testing.T) {
	f := sqliteFixture(t, session.Options{Sealer: sealer(t, "k")})
	key := f.saved(t, map[string]any{"a": 1}).Key()
	stored := f.mustRecord(t, key).Data
	flipped := stored[:len(stored)-2] + map[bool]string{true: "AA", false: "BB"}[!strings.HasSuffix(stored, "AA")]
	if _, err := f.db.Exec(`UPDATE django_session SET session_data = ? WHERE session_key = ?`, flipped, key); err != nil {
		t.Fatal(err)
	}
	if s := f.load(t, key); !s.IsEmpty() {
		t.Fatalf("altered ciphertext loaded as %v", s.Keys())
	}
}

func TestSealedCookieShowsNothingToTheClient(t *testing.T) {
	ctx := context.Background()
	m, _ := cookieManager(t, session.Options{Sealer: sealer(t, "k")})
	s := m.New()
	mustSet(t, s, "role", "admin")
	if err := m.Save(ctx, s); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.Key(), "gcm1:") {
		t.Fatalf("cookie %q, want sealed data", s.Key())
	}
	plain, _ := cookieManager(t, session.Options{})
	if got, err := plain.Load(ctx, s.Key()); err != nil || !got.IsEmpty() {
		t.Fatalf("without the key the sealed cookie loads as %v, %v; want an empty session", got.Keys(), err)
	}
	loaded, err := m.Load(ctx, s.Key())
	if err != nil || mustGet[string](t, loaded, "role") != "admin" {
		t.Fatalf("loading the sealed cookie: %v, %v", loaded.Keys(), err)
	}
}

func TestNewSealerRefusesKeysOfTheWrongSize(t *testing.T) {
	for _, k := range [][]byte{nil, make([]byte, 16), make([]byte, 33)} {
		if _, err := session.NewSealer(k); err == nil {
			t.Errorf("NewSealer accepted a %d-byte key", len(k))
		}
	}
	if _, err := session.NewSealer(); err == nil {
		t.Error("NewSealer accepted no key")
	}
}
