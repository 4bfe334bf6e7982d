package session_test

import (
	"context"
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/testdb"
)

// keyPattern is the shape of a key Django issues.
var keyPattern = regexp.MustCompile(`^[a-z0-9]{32}$`)

// unknownKey is well formed but was never issued.
const unknownKey = "unknownkey0000000000000000000000"

// signed returns data signed the way the fixture's Manager signs it.
func signed(payload, secret string) string {
	return session.NewSigner(session.SaltStore, secret).Sign([]byte(payload), time.Now())
}

func TestLoadReturnsTheSavedSession(t *testing.T) {
	f := sqliteFixture(t, session.Options{})
	key := f.saved(t, map[string]any{"user": "ada", "visits": 3}).Key()

	s := f.load(t, key)
	if s.Key() != key {
		t.Fatalf("Key() = %q, want %q", s.Key(), key)
	}
	if s.Accessed() || s.Modified() {
		t.Fatalf("a loaded session: Accessed %v, Modified %v; want neither", s.Accessed(), s.Modified())
	}
	if mustGet[string](t, s, "user") != "ada" || mustGet[int](t, s, "visits") != 3 {
		t.Fatalf("loaded keys %v lost their values", s.Keys())
	}
}

func TestLoadReadsDataThatDjangoWrote(t *testing.T) {
	// DJANGO-VECTORS.md: {"a":1} as Django's db backend stores it.
	const djangoSecret = "django-insecure-test-key-0123456789"
	const djangoData = "eyJhIjoxfQ:1r31eq:b_2eVBvHSTQrj8DBBfGLiqsHQahYuK7GuElPyQmN3oc"
	f := sqliteFixture(t, session.Options{})
	m := session.NewManager(f.store, session.NewSigner(session.SaltStore, djangoSecret), session.Options{})
	if err := f.store.Create(context.Background(), unknownKey, session.Record{Data: djangoData, Expiry: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	s, err := m.Load(context.Background(), unknownKey)
	if err != nil {
		t.Fatal(err)
	}
	if s.Key() != unknownKey || mustGet[int](t, s, "a") != 1 {
		t.Fatalf("Load of Django's row: key %q, keys %v", s.Key(), s.Keys())
	}
}

func TestLoadAcceptsDataSignedWithAFallbackSecret(t *testing.T) {
	ctx := context.Background()
	f := sqliteFixture(t, session.Options{})
	if err := f.store.Create(ctx, unknownKey, session.Record{Data: signed(`{"a":1}`, "old-secret"), Expiry: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	rotated := session.NewManager(f.store, session.NewSigner(session.SaltStore, testSecret, "old-secret"), session.Options{})
	s, err := rotated.Load(ctx, unknownKey)
	if err != nil {
		t.Fatal(err)
	}
	if s.Key() != unknownKey || mustGet[int](t, s, "a") != 1 {
		t.Fatalf("Load with the old secret as a fallback: key %q, keys %v; want the session", s.Key(), s.Keys())
	}
}

// TestLoadNeverAdoptsAKeyItDoesNotTrust covers every key Load must refuse:
// each gives a new, empty session with no key, and creates no record
// (Django: "creating session records on load is a DoS vulnerability").
func TestLoadNeverAdoptsAKeyItDoesNotTrust(t *testing.T) {
	later, earlier := time.Now().Add(time.Hour), time.Now().Add(-time.Hour)
	cases := []struct {
		name string
		key  string
		// row, when not empty, is written directly with the store first.
		row    string
		expiry time.Time
	}{
		{name: "empty", key: ""},
		{name: "too short", key: "short"},
		{name: "too long", key: strings.Repeat("a", 41)},
		{name: "upper case", key: "UNKNOWNKEY0000000000000000000000"},
		{name: "path traversal", key: "../../../../etc/passwd"},
		{name: "placeholder of a header client", key: "new"},
		{name: "unknown", key: unknownKey},
		{name: "expired", key: unknownKey, row: signed(`{"user":1}`, testSecret), expiry: earlier},
		{name: "signed with another secret", key: unknownKey, row: signed(`{"user":1}`, "attacker"), expiry: later},
		{name: "signature altered", key: unknownKey, row: alterSignature(signed(`{"user":1}`, testSecret)), expiry: later},
		{name: "payload altered", key: unknownKey, row: alterPayload(signed(`{"user":1}`, testSecret)), expiry: later},
		{name: "not signed at all", key: unknownKey, row: "eyJ1c2VyIjoxfQ", expiry: later},
		{name: "signed but not an object", key: unknownKey, row: signed(`[1,2]`, testSecret), expiry: later},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			f := sqliteFixture(t, session.Options{})
			if tc.row != "" {
				if err := f.store.Create(ctx, tc.key, session.Record{Data: tc.row, Expiry: tc.expiry}); err != nil {
					t.Fatal(err)
				}
			}
			before := f.rows(t)

			s := f.load(t, tc.key)
			if s.Key() != "" || !s.IsEmpty() || s.Has("user") {
				t.Fatalf("Load(%q) = key %q, keys %v; want a new, empty session", tc.key, s.Key(), s.Keys())
			}
			if after := f.rows(t); after != before {
				t.Fatalf("Load changed the row count from %d to %d", before, after)
			}

			// Writing to it creates a session under a key of its own and
			// leaves the refused row alone.
			mustSet(t, s, "cart", 1)
			if err := f.m.Save(ctx, s); err != nil {
				t.Fatal(err)
			}
			if s.Key() == tc.key || !keyPattern.MatchString(s.Key()) {
				t.Fatalf("Save after refusing %q issued key %q, want a new one", tc.key, s.Key())
			}
			if tc.row != "" && !tc.expiry.Before(time.Now()) {
				if got := f.mustRecord(t, tc.key).Data; got != tc.row {
					t.Fatalf("the refused row was overwritten with %q", got)
				}
			}
		})
	}
}

func alterSignature(v string) string {
	i := strings.LastIndexByte(v, ':') + 1
	c := byte('A')
	if v[i] == 'A' {
		c = 'B'
	}
	return v[:i] + string(c) + v[i+1:]
}

func alterPayload(v string) string {
	// eyJ1c2VyIjoxfQ is {"user":1}; eyJ1c2VyIjoyfQ is {"user":2}.
	return strings.Replace(v, "eyJ1c2VyIjoxfQ", "eyJ1c2VyIjoyfQ", 1)
}

func TestLoadFailsWithErrUnavailableWhenTheStoreFails(t *testing.T) {
	f := sqliteFixture(t, session.Options{})
	key := f.saved(t, map[string]any{"a": 1}).Key()
	f.db.Close()

	s, err := f.m.Load(context.Background(), key)
	if !errors.Is(err, session.ErrUnavailable) {
		t.Fatalf("Load on a closed database: err %v, want ErrUnavailable", err)
	}
	if s != nil {
		t.Fatal("Load returned a session along with its error")
	}
}

func TestSaveFailsWithErrUnavailableWhenTheStoreFails(t *testing.T) {
	ctx := context.Background()
	f := sqliteFixture(t, session.Options{})
	existing := f.saved(t, map[string]any{"a": 1})
	fresh := f.m.New()
	mustSet(t, fresh, "a", 1)
	f.db.Close()

	for name, s := range map[string]*session.Session{"create": fresh, "update": existing} {
		mustSet(t, s, "b", 2)
		if err := f.m.Save(ctx, s); !errors.Is(err, session.ErrUnavailable) {
			t.Errorf("%s on a closed database: err %v, want ErrUnavailable", name, err)
		}
	}
	if fresh.Key() != "" {
		t.Errorf("a failed create gave the session key %q", fresh.Key())
	}
}

func TestFlushAndCycleKeyFailWithErrUnavailableWhenTheStoreFails(t *testing.T) {
	ctx := context.Background()
	ops := map[string]func(s *session.Session) error{
		"Flush":    func(s *session.Session) error { return s.Flush(ctx) },
		"CycleKey": func(s *session.Session) error { return s.CycleKey(ctx) },
	}
	for name, op := range ops {
		t.Run(name, func(t *testing.T) {
			f := sqliteFixture(t, session.Options{})
			s := f.saved(t, map[string]any{"a": 1})
			f.db.Close()
			if err := op(s); !errors.Is(err, session.ErrUnavailable) {
				t.Fatalf("%s on a closed database: err %v, want ErrUnavailable", name, err)
			}
		})
	}
}

func TestSaveCreatesARecordUnderANewKeyWithTheSessionsExpiry(t *testing.T) {
	f := sqliteFixture(t, session.Options{})
	s := f.saved(t, map[string]any{"a": 1})

	if !keyPattern.MatchString(s.Key()) {
		t.Fatalf("new key %q is not 32 characters of [a-z0-9]", s.Key())
	}
	r := f.mustRecord(t, s.Key())
	if want := f.clock.Now().Add(defaultAge * time.Second); !r.Expire.Equal(want) {
		t.Fatalf("expire_date = %v, want now + SESSION_COOKIE_AGE = %v", r.Expire, want)
	}
	if got := f.payload(t, s.Key()); !reflect.DeepEqual(got, map[string]any{"a": 1.0}) {
		t.Fatalf("stored data = %v", got)
	}
}

func TestSaveGivesEachNewSessionItsOwnKey(t *testing.T) {
	f := sqliteFixture(t, session.Options{})
	seen := map[string]bool{}
	for range 20 {
		k := f.saved(t, map[string]any{"a": 1}).Key()
		if seen[k] {
			t.Fatalf("key %s issued twice", k)
		}
		seen[k] = true
	}
}

func TestSaveUpdatesTheExistingRecordInPlace(t *testing.T) {
	ctx := context.Background()
	f := sqliteFixture(t, session.Options{})
	key := f.saved(t, map[string]any{"n": 1}).Key()

	f.clock.Advance(time.Minute)
	s := f.load(t, key)
	mustSet(t, s, "n", 2)
	if err := f.m.Save(ctx, s); err != nil {
		t.Fatal(err)
	}
	if s.Key() != key {
		t.Fatalf("Save of a loaded session moved it to %q", s.Key())
	}
	if n := f.rows(t); n != 1 {
		t.Fatalf("%d rows after an update, want 1", n)
	}
	if got := f.payload(t, key)["n"]; got != 2.0 {
		t.Fatalf("stored n = %v, want 2", got)
	}
	// An update moves the expiry: the two weeks count from the last save.
	if r, want := f.mustRecord(t, key), f.clock.Now().Add(defaultAge*time.Second); !r.Expire.Equal(want) {
		t.Fatalf("expire_date after an update = %v, want %v", r.Expire, want)
	}
}

func TestSaveWritesTheRecordExpiryTheSessionAsksFor(t *testing.T) {
	inTenDays := time.Now().UTC().Truncate(time.Second).Add(240 * time.Hour)
	cases := []struct {
		name string
		set  func(s *session.Session)
		age  time.Duration // from the fixture's now; 0 to use at
		at   time.Time
	}{
		{"default", func(s *session.Session) {}, defaultAge * time.Second, time.Time{}},
		{"SetExpiry(1h)", func(s *session.Session) { s.SetExpiry(time.Hour) }, time.Hour, time.Time{}},
		{"SetExpiry(0) still expires after the default age", func(s *session.Session) { s.SetExpiry(0) }, defaultAge * time.Second, time.Time{}},
		{"SetExpiryDate", func(s *session.Session) { s.SetExpiryDate(inTenDays) }, 0, inTenDays},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := sqliteFixture(t, session.Options{})
			s := f.m.New()
			mustSet(t, s, "a", 1)
			tc.set(s)
			if err := f.m.Save(context.Background(), s); err != nil {
				t.Fatal(err)
			}
			want := tc.at
			if tc.age != 0 {
				want = f.clock.Now().Add(tc.age)
			}
			if got := f.mustRecord(t, s.Key()).Expire; !got.Equal(want) {
				t.Fatalf("expire_date = %v, want %v", got, want)
			}
		})
	}
}

func TestSaveAfterAConcurrentDeleteIsInterruptedAndDoesNotResurrect(t *testing.T) {
	ctx := context.Background()
	f := sqliteFixture(t, session.Options{})
	key := f.saved(t, map[string]any{"user": 1}).Key()

	s := f.load(t, key)
	if err := f.store.Delete(ctx, key); err != nil { // a logout elsewhere
		t.Fatal(err)
	}
	mustSet(t, s, "cart", 2)
	if err := f.m.Save(ctx, s); !errors.Is(err, session.ErrInterrupted) {
		t.Fatalf("Save after a concurrent delete: err %v, want ErrInterrupted", err)
	}
	f.mustNotRecord(t, key)
	if n := f.rows(t); n != 0 {
		t.Fatalf("%d rows after an interrupted save, want 0", n)
	}
}

func TestClearExpiredDeletesExpiredSessionsInBatchesAndReportsProgress(t *testing.T) {
	ctx := context.Background()
	f := sqliteFixture(t, session.Options{})
	var live []string
	for range 2 {
		live = append(live, f.saved(t, map[string]any{"a": 1}).Key())
	}
	for i := range 5 {
		k := strings.Replace(unknownKey, "0", string(rune('a'+i)), 1)
		if err := f.store.Create(ctx, k, session.Record{Data: signed(`{}`, testSecret), Expiry: time.Now().Add(-time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}

	var progress []int
	total, err := f.m.ClearExpired(ctx, 2, func(n int) { progress = append(progress, n) })
	if err != nil {
		t.Fatal(err)
	}
	if total != 5 {
		t.Fatalf("ClearExpired deleted %d, want 5", total)
	}
	if want := []int{2, 4, 5}; !reflect.DeepEqual(progress, want) {
		t.Fatalf("progress reported %v, want %v", progress, want)
	}
	for _, k := range live {
		f.mustRecord(t, k)
	}
	if n := f.rows(t); n != 2 {
		t.Fatalf("%d rows left, want the 2 live sessions", n)
	}
}

func TestClearExpiredWithNothingToDoReportsNoProgress(t *testing.T) {
	f := sqliteFixture(t, session.Options{})
	f.saved(t, map[string]any{"a": 1})
	total, err := f.m.ClearExpired(context.Background(), 100, func(int) { t.Error("progress called") })
	if err != nil || total != 0 {
		t.Fatalf("ClearExpired = %d, %v; want 0, nil", total, err)
	}
}

func TestClearExpiredGoesByTheManagersClock(t *testing.T) {
	f := sqliteFixture(t, session.Options{})
	f.saved(t, map[string]any{"a": 1}) // expires in two weeks
	f.clock.Advance(defaultAge*time.Second + time.Second)
	total, err := f.m.ClearExpired(context.Background(), 100, nil)
	if err != nil || total != 1 {
		t.Fatalf("ClearExpired two weeks later = %d, %v; want 1, nil", total, err)
	}
}

func TestClearExpiredFailsWithErrUnavailableWhenTheStoreFails(t *testing.T) {
	f := sqliteFixture(t, session.Options{})
	f.db.Close()
	if _, err := f.m.ClearExpired(context.Background(), 100, nil); !errors.Is(err, session.ErrUnavailable) {
		t.Fatalf("ClearExpired on a closed database: err %v, want ErrUnavailable", err)
	}
}

func TestFingerprintIsStableShortAndDoesNotRevealTheKey(t *testing.T) {
	fp := session.Fingerprint(unknownKey)
	if fp != session.Fingerprint(unknownKey) || len(fp) != 16 || strings.Contains(unknownKey, fp) {
		t.Fatalf("Fingerprint(%s) = %q", unknownKey, fp)
	}
	if fp == session.Fingerprint(strings.Replace(unknownKey, "0", "1", 1)) {
		t.Fatal("two keys share a fingerprint")
	}
}

func TestAStalledStoreGivesErrUnavailableAfterStoreTimeout(t *testing.T) {
	url := testdb.PostgresURL(t)
	f := newFixture(t, url, session.Options{StoreTimeout: 200 * time.Millisecond})
	key := f.saved(t, map[string]any{"a": 1}).Key()

	// Another connection holds a lock on the table, as a long migration would.
	locker := testdb.Open(t, url)
	tx, err := locker.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec("LOCK TABLE django_session IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Load(context.Background(), key); !errors.Is(err, session.ErrUnavailable) {
		t.Fatalf("Load behind a lock: err %v, want ErrUnavailable", err)
	}
	if err := f.m.Save(context.Background(), f.m.New()); !errors.Is(err, session.ErrUnavailable) {
		t.Fatalf("Save behind a lock: err %v, want ErrUnavailable", err)
	}
}

func TestLoadGivesEachRequestItsOwnCopyOfTheData(t *testing.T) {
	// Loads of an unchanged session decode it once (see decoded.go): what
	// one request changes and does not save must not show in another's.
	f := sqliteFixture(t, session.Options{})
	key := f.saved(t, map[string]any{"user": "ada", "cart": []int{1}}).Key()
	f.load(t, key)

	first := f.load(t, key)
	if err := first.Set("user", "bob"); err != nil {
		t.Fatal(err)
	}
	first.Delete("cart")

	second := f.load(t, key)
	if got := mustGet[string](t, second, "user"); got != "ada" {
		t.Fatalf("user = %q after another request's unsaved change, want ada", got)
	}
	if got := mustGet[[]int](t, second, "cart"); !reflect.DeepEqual(got, []int{1}) {
		t.Fatalf("cart = %v after another request's unsaved delete, want [1]", got)
	}
}

func TestLoadDoesNotTrustDataOnceItWasTampered(t *testing.T) {
	f := sqliteFixture(t, session.Options{})
	key := f.saved(t, map[string]any{"user": "ada"}).Key()
	f.load(t, key) // decoded, and remembered

	// A row whose data changed behind the API's back, to something not
	// signed with the key, is another string: verified again, and refused.
	if err := f.store.Update(context.Background(), key, func(string) (session.Record, error) {
		return session.Record{Data: signed(`{"user":"mallory"}`, "not-the-secret"), Expiry: time.Now().Add(time.Hour)}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if s := f.load(t, key); s.Key() != "" || s.Has("user") {
		t.Fatalf("tampered data loaded: key %q, keys %v; want a new, empty session", s.Key(), s.Keys())
	}
}
