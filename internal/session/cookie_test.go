package session_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/djsessions/api/internal/session"
)

// The signed-cookies engine keeps the whole session in the client.

func cookieManager(t *testing.T, opts session.Options) (*session.Manager, *clock) {
	t.Helper()
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	opts.Now = clk.Now
	return session.NewCookieManager(session.NewSigner(session.SaltSignedCookies, testSecret), opts), clk
}

func TestCookieSessionTravelsAsItsSignedData(t *testing.T) {
	ctx := context.Background()
	m, _ := cookieManager(t, session.Options{})
	s := m.New()
	mustSet(t, s, "cart", "3 apples")
	if err := m.Save(ctx, s); err != nil {
		t.Fatal(err)
	}
	if strings.Count(s.Key(), ":") != 2 {
		t.Fatalf("key %q, want Django's signed value payload:timestamp:signature", s.Key())
	}

	loaded, err := m.Load(ctx, s.Key())
	if err != nil {
		t.Fatal(err)
	}
	if got := mustGet[string](t, loaded, "cart"); got != "3 apples" || loaded.Key() != s.Key() {
		t.Fatalf("loaded cart %q under %q, want the saved session", got, loaded.Key())
	}
}

func TestCookieThatIsTamperedForeignOrExpiredGivesAnEmptySession(t *testing.T) {
	ctx := context.Background()
	m, clk := cookieManager(t, session.Options{})
	s := m.New()
	mustSet(t, s, "user", "alice")
	if err := m.Save(ctx, s); err != nil {
		t.Fatal(err)
	}
	valid := s.Key()
	other := session.NewCookieManager(session.NewSigner(session.SaltSignedCookies, "another-secret"), session.Options{})
	o := other.New()
	mustSet(t, o, "user", "mallory")
	if err := other.Save(ctx, o); err != nil {
		t.Fatal(err)
	}

	for name, value := range map[string]string{
		"tampered payload":   "x" + valid[1:],
		"truncated":          valid[:len(valid)-5],
		"another secret":     o.Key(),
		"no signature":       "eyJ1c2VyIjoiYWxpY2UifQ",
		"empty":              "",
		"larger than cookie": strings.Repeat("a", session.MaxCookieSize+1),
	} {
		t.Run(name, func(t *testing.T) {
			got, err := m.Load(ctx, value)
			if err != nil || !got.IsEmpty() {
				t.Fatalf("Load = keys %v, err %v; want a new, empty session", got.Keys(), err)
			}
		})
	}

	clk.Advance(defaultAge*time.Second + time.Second)
	if got, err := m.Load(ctx, valid); err != nil || !got.IsEmpty() {
		t.Fatalf("a cookie older than SESSION_COOKIE_AGE loaded: keys %v, err %v", got.Keys(), err)
	}
}

func TestCookieSessionWithItsOwnExpiryLivesThatLong(t *testing.T) {
	ctx := context.Background()
	m, clk := cookieManager(t, session.Options{})
	s := m.New()
	s.SetExpiry(30 * 24 * time.Hour) // remember me, past the default two weeks
	if err := m.Save(ctx, s); err != nil {
		t.Fatal(err)
	}
	clk.Advance(20 * 24 * time.Hour)
	if got, _ := m.Load(ctx, s.Key()); got.IsEmpty() {
		t.Fatal("a 30-day session was refused after 20 days")
	}
	clk.Advance(11 * 24 * time.Hour)
	if got, _ := m.Load(ctx, s.Key()); !got.IsEmpty() {
		t.Fatal("a 30-day session loaded after 31 days")
	}
}

func TestCookieSessionTooLargeIsRefusedAndKeptAsItWas(t *testing.T) {
	ctx := context.Background()
	m, _ := cookieManager(t, session.Options{})
	s := m.New()
	mustSet(t, s, "small", "ok")
	if err := m.Save(ctx, s); err != nil {
		t.Fatal(err)
	}
	before := s.Key()

	// Hex of a hash chain: random-looking, so zlib cannot shrink it enough.
	var big strings.Builder
	sum := sha256.Sum256(nil)
	for big.Len() < 10_000 {
		sum = sha256.Sum256(sum[:])
		big.WriteString(hex.EncodeToString(sum[:]))
	}
	err := s.Update(ctx, func(s *session.Session) error { return s.Set("big", big.String()) })
	if !errors.Is(err, session.ErrTooLarge) {
		t.Fatalf("saving a session past the cookie limit: err %v, want ErrTooLarge", err)
	}
	if s.Key() != before || s.Has("big") {
		t.Fatalf("after a refused save: key changed %v, big kept %v; want the session as it was", s.Key() != before, s.Has("big"))
	}
}

func TestCookieSessionsCannotBeListedOrEndedFromTheServer(t *testing.T) {
	ctx := context.Background()
	m, _ := cookieManager(t, session.Options{})
	if _, err := m.UserSessions(ctx, 1); !errors.Is(err, session.ErrNoIndex) {
		t.Fatalf("UserSessions: %v, want ErrNoIndex", err)
	}
	if err := m.EndUserSessions(ctx, 1, ""); !errors.Is(err, session.ErrNoIndex) {
		t.Fatalf("EndUserSessions: %v, want ErrNoIndex", err)
	}
	if err := m.End(ctx, "anything"); !errors.Is(err, session.ErrNoIndex) {
		t.Fatalf("End: %v, want ErrNoIndex", err)
	}
	if n, err := m.ClearExpired(ctx, 100, nil); n != 0 || err != nil {
		t.Fatalf("ClearExpired = %d, %v; want nothing to do", n, err)
	}
}

func TestCookieSessionFlushAndCycle(t *testing.T) {
	ctx := context.Background()
	m, clk := cookieManager(t, session.Options{})
	s := m.New()
	mustSet(t, s, "a", 1)
	if err := m.Save(ctx, s); err != nil {
		t.Fatal(err)
	}
	first := s.Key()
	clk.Advance(time.Second) // a new timestamp, so a new signature
	if err := s.CycleKey(ctx); err != nil {
		t.Fatal(err)
	}
	if s.Key() == first || mustGet[int](t, s, "a") != 1 {
		t.Fatalf("CycleKey: key %q (was %q), want a new one with the data", s.Key(), first)
	}
	if err := s.Flush(ctx); err != nil || !s.IsEmpty() {
		t.Fatalf("Flush: err %v, empty %v", err, s.IsEmpty())
	}
}
