package session_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/session/dbstore"
	"github.com/djsessions/api/internal/testdb"
)

// testSecret is the SECRET_KEY of every Manager in these tests.
const testSecret = "django-insecure-session-tests"

// defaultAge is Django's SESSION_COOKIE_AGE, the Manager's default.
const defaultAge = 1209600

// fixture is a Manager on a real dbstore with its clock pinned.
type fixture struct {
	m     *session.Manager
	store *dbstore.Store
	db    *sqlx.DB
	clock *clock
}

// newFixture returns a Manager on a fresh database of url (testdb.SQLiteURL
// or testdb.PostgresURL), with opts and a clock pinned to the current second.
func newFixture(t testing.TB, url string, opts session.Options) *fixture {
	t.Helper()
	db := testdb.Open(t, url)
	// The stores filter expired rows by the wall clock, so the pinned clock
	// starts at the real time.
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	opts.Now = clk.Now
	st := dbstore.New(db)
	return &fixture{
		m:     session.NewManager(st, session.NewSigner(session.SaltStore, testSecret), opts),
		store: st,
		db:    db,
		clock: clk,
	}
}

// sqliteFixture is newFixture on a fresh SQLite file.
func sqliteFixture(t testing.TB, opts session.Options) *fixture {
	t.Helper()
	return newFixture(t, testdb.SQLiteURL(t), opts)
}

// clock is a settable time source for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *clock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// record is a django_session row as read directly from the database.
type record struct {
	Data   string    `db:"session_data"`
	Expire time.Time `db:"expire_date"`
}

// record reads the row of key directly, bypassing the store; ok is false
// when there is none.
func (f *fixture) record(t testing.TB, key string) (record, bool) {
	t.Helper()
	var r record
	err := f.db.Get(&r, f.db.Rebind(`SELECT session_data, expire_date FROM django_session WHERE session_key = ?`), key)
	switch {
	case err == nil:
		r.Expire = r.Expire.UTC()
		return r, true
	case errors.Is(err, sql.ErrNoRows):
		return record{}, false
	}
	t.Fatalf("reading the row of %s: %v", key, err)
	return record{}, false
}

// mustRecord is record for a row that must exist.
func (f *fixture) mustRecord(t testing.TB, key string) record {
	t.Helper()
	r, ok := f.record(t, key)
	if !ok {
		t.Fatalf("no row for key %s, want one", key)
	}
	return r
}

// mustNotRecord fails the test if key has a row.
func (f *fixture) mustNotRecord(t testing.TB, key string) {
	t.Helper()
	if _, ok := f.record(t, key); ok {
		t.Fatalf("a row exists for key %s, want none", key)
	}
}

// rows counts the rows of django_session.
func (f *fixture) rows(t testing.TB) int {
	t.Helper()
	var n int
	if err := f.db.Get(&n, `SELECT COUNT(*) FROM django_session`); err != nil {
		t.Fatalf("counting sessions: %v", err)
	}
	return n
}

// payload returns the session data of key as stored, verified and decoded
// the way Django reads it.
func (f *fixture) payload(t testing.TB, key string) map[string]any {
	t.Helper()
	raw, _, err := session.NewSigner(session.SaltStore, testSecret).Unsign(f.mustRecord(t, key).Data)
	if err != nil {
		t.Fatalf("stored data of %s does not verify: %v", key, err)
	}
	var data map[string]any
	if err := json.Unmarshal(raw, &data); err != nil {
		t.Fatalf("stored data of %s is not a JSON object: %v", key, err)
	}
	return data
}

// saved returns a session saved with data, as a request would leave it.
func (f *fixture) saved(t testing.TB, data map[string]any) *session.Session {
	t.Helper()
	s := f.m.New()
	for k, v := range data {
		mustSet(t, s, k, v)
	}
	if err := f.m.Save(context.Background(), s); err != nil {
		t.Fatalf("Save: %v", err)
	}
	return s
}

// load loads key, failing the test on a store error.
func (f *fixture) load(t testing.TB, key string) *session.Session {
	t.Helper()
	s, err := f.m.Load(context.Background(), key)
	if err != nil {
		t.Fatalf("Load(%s): %v", key, err)
	}
	return s
}

func mustSet(t testing.TB, s *session.Session, key string, v any) {
	t.Helper()
	if err := s.Set(key, v); err != nil {
		t.Fatalf("Set(%q): %v", key, err)
	}
}

// mustGet returns the value of key decoded as a T; it fails the test if the
// key is missing.
func mustGet[T any](t testing.TB, s *session.Session, key string) T {
	t.Helper()
	var v T
	found, err := s.Get(key, &v)
	if err != nil || !found {
		t.Fatalf("Get(%q) = found %v, err %v; want a value", key, found, err)
	}
	return v
}

func TestSetThenGetReturnsEachValue(t *testing.T) {
	s := sqliteFixture(t, session.Options{}).m.New()
	type cartLine struct {
		ProductID int    `json:"product_id"`
		Note      string `json:"note"`
	}
	mustSet(t, s, "n", 42)
	mustSet(t, s, "name", "Zoë ☃ <b>")
	mustSet(t, s, "ok", true)
	mustSet(t, s, "list", []string{"a", "b"})
	mustSet(t, s, "line", cartLine{ProductID: 7, Note: "gift"})

	if got := mustGet[int](t, s, "n"); got != 42 {
		t.Errorf("n = %d, want 42", got)
	}
	if got := mustGet[string](t, s, "name"); got != "Zoë ☃ <b>" {
		t.Errorf("name = %q", got)
	}
	if got := mustGet[bool](t, s, "ok"); !got {
		t.Errorf("ok = false")
	}
	if got := mustGet[[]string](t, s, "list"); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("list = %v", got)
	}
	if got := mustGet[cartLine](t, s, "line"); got != (cartLine{7, "gift"}) {
		t.Errorf("line = %+v", got)
	}
}

func TestSetReplacesThePreviousValue(t *testing.T) {
	s := sqliteFixture(t, session.Options{}).m.New()
	mustSet(t, s, "n", 1)
	mustSet(t, s, "n", 2)
	if got := mustGet[int](t, s, "n"); got != 2 {
		t.Fatalf("n = %d, want 2", got)
	}
}

func TestGetOfAMissingKeyIsNotFoundWithoutError(t *testing.T) {
	s := sqliteFixture(t, session.Options{}).m.New()
	var v int
	if found, err := s.Get("missing", &v); found || err != nil {
		t.Fatalf("Get(missing) = found %v, err %v; want not found, nil", found, err)
	}
}

func TestGetIntoTheWrongTypeIsFoundWithAnError(t *testing.T) {
	s := sqliteFixture(t, session.Options{}).m.New()
	mustSet(t, s, "n", "not a number")
	var v int
	if found, err := s.Get("n", &v); !found || err == nil {
		t.Fatalf("Get(n) into an int = found %v, err %v; want found with an error", found, err)
	}
}

func TestSetOfAValueThatCannotBeEncodedFailsAndChangesNothing(t *testing.T) {
	s := sqliteFixture(t, session.Options{}).m.New()
	if err := s.Set("ch", make(chan int)); err == nil {
		t.Fatal("Set of a channel succeeded")
	}
	if s.Has("ch") || s.Modified() {
		t.Fatalf("after a failed Set: Has %v, Modified %v; want neither", s.Has("ch"), s.Modified())
	}
}

func TestHasReportsPresence(t *testing.T) {
	s := sqliteFixture(t, session.Options{}).m.New()
	mustSet(t, s, "here", nil)
	if !s.Has("here") {
		t.Error("Has(here) = false for a key set to null")
	}
	if s.Has("absent") {
		t.Error("Has(absent) = true")
	}
}

func TestReadingMarksAccessedButNotModified(t *testing.T) {
	reads := map[string]func(s *session.Session){
		"Get":                     func(s *session.Session) { s.Get("k", new(int)) },
		"Has":                     func(s *session.Session) { s.Has("k") },
		"Keys":                    func(s *session.Session) { s.Keys() },
		"Delete of a missing key": func(s *session.Session) { s.Delete("missing") },
		"Pop of a missing key":    func(s *session.Session) { s.Pop("missing", new(int)) },
	}
	f := sqliteFixture(t, session.Options{})
	key := f.saved(t, map[string]any{"k": 1}).Key()
	for name, read := range reads {
		t.Run(name, func(t *testing.T) {
			s := f.load(t, key)
			if s.Accessed() || s.Modified() {
				t.Fatalf("a freshly loaded session: Accessed %v, Modified %v", s.Accessed(), s.Modified())
			}
			read(s)
			if !s.Accessed() || s.Modified() {
				t.Fatalf("after %s: Accessed %v, Modified %v; want accessed, not modified", name, s.Accessed(), s.Modified())
			}
		})
	}
}

func TestWritingMarksAccessedAndModified(t *testing.T) {
	writes := map[string]func(s *session.Session){
		"Set":                     func(s *session.Session) { s.Set("k", 2) },
		"Set of the same value":   func(s *session.Session) { s.Set("k", 1) },
		"Delete of a present key": func(s *session.Session) { s.Delete("k") },
		"Pop of a present key":    func(s *session.Session) { s.Pop("k", new(int)) },
		"Clear":                   func(s *session.Session) { s.Clear() },
		"SetExpiry":               func(s *session.Session) { s.SetExpiry(time.Hour) },
		"SetExpiryDate":           func(s *session.Session) { s.SetExpiryDate(time.Now().Add(time.Hour)) },
	}
	f := sqliteFixture(t, session.Options{})
	key := f.saved(t, map[string]any{"k": 1}).Key()
	for name, write := range writes {
		t.Run(name, func(t *testing.T) {
			s := f.load(t, key)
			write(s)
			if !s.Accessed() || !s.Modified() {
				t.Fatalf("after %s: Accessed %v, Modified %v; want both", name, s.Accessed(), s.Modified())
			}
		})
	}
}

func TestDeleteRemovesTheKey(t *testing.T) {
	s := sqliteFixture(t, session.Options{}).m.New()
	mustSet(t, s, "a", 1)
	mustSet(t, s, "b", 2)
	s.Delete("a")
	if s.Has("a") || !s.Has("b") {
		t.Fatalf("after Delete(a): keys %v, want [b]", s.Keys())
	}
}

func TestPopReturnsTheValueAndRemovesIt(t *testing.T) {
	s := sqliteFixture(t, session.Options{}).m.New()
	mustSet(t, s, "flash", "saved!")
	var msg string
	if found, err := s.Pop("flash", &msg); !found || err != nil || msg != "saved!" {
		t.Fatalf("Pop(flash) = %q, found %v, err %v", msg, found, err)
	}
	if s.Has("flash") {
		t.Fatal("flash is still there after Pop")
	}
	if found, err := s.Pop("flash", &msg); found || err != nil {
		t.Fatalf("second Pop(flash) = found %v, err %v; want not found", found, err)
	}
}

func TestKeysAreSortedAndIncludeDjangosInternalKeys(t *testing.T) {
	s := sqliteFixture(t, session.Options{}).m.New()
	for _, k := range []string{"cart", "_auth_user_id", "b", "a"} {
		mustSet(t, s, k, 1)
	}
	s.SetExpiry(time.Hour)
	want := []string{"_auth_user_id", "_session_expiry", "a", "b", "cart"}
	if got := s.Keys(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Keys() = %v, want %v", got, want)
	}
}

func TestANewSessionHasNoKeyAndIsEmpty(t *testing.T) {
	s := sqliteFixture(t, session.Options{}).m.New()
	if s.Key() != "" || !s.IsEmpty() || len(s.Keys()) != 0 {
		t.Fatalf("New(): key %q, IsEmpty %v, keys %v", s.Key(), s.IsEmpty(), s.Keys())
	}
	mustSet(t, s, "a", 1)
	if s.IsEmpty() {
		t.Fatal("a session with data reports IsEmpty")
	}
}

func TestClearKeepsTheKeyAndSavesEmptyData(t *testing.T) {
	ctx := context.Background()
	f := sqliteFixture(t, session.Options{})
	key := f.saved(t, map[string]any{"a": 1, "b": 2}).Key()

	s := f.load(t, key)
	s.Clear()
	if s.Key() != key || len(s.Keys()) != 0 || !s.Modified() {
		t.Fatalf("after Clear: key %q (want %q), keys %v, modified %v", s.Key(), key, s.Keys(), s.Modified())
	}
	if s.IsEmpty() {
		t.Fatal("a cleared session that keeps its key reports IsEmpty, so it would not be saved")
	}
	if err := f.m.Save(ctx, s); err != nil {
		t.Fatal(err)
	}
	if s.Key() != key {
		t.Fatalf("Save after Clear moved the session to key %q", s.Key())
	}
	if got := f.payload(t, key); len(got) != 0 {
		t.Fatalf("stored data after Clear = %v, want {}", got)
	}
}

func TestFlushDeletesTheRecordAtOnceAndTheNextSaveGetsANewKey(t *testing.T) {
	ctx := context.Background()
	f := sqliteFixture(t, session.Options{})
	key := f.saved(t, map[string]any{"user": 1}).Key()

	s := f.load(t, key)
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	f.mustNotRecord(t, key) // before any Save: a logout takes effect at once
	if s.Key() != "" || !s.IsEmpty() || s.Has("user") {
		t.Fatalf("after Flush: key %q, IsEmpty %v, keys %v; want an empty session with no key", s.Key(), s.IsEmpty(), s.Keys())
	}

	mustSet(t, s, "cart", []int{1})
	if err := f.m.Save(ctx, s); err != nil {
		t.Fatal(err)
	}
	if s.Key() == "" || s.Key() == key {
		t.Fatalf("key after Flush and Save = %q, want a new one (old %q)", s.Key(), key)
	}
	f.mustNotRecord(t, key)
	if got := f.payload(t, s.Key()); !reflect.DeepEqual(got, map[string]any{"cart": []any{1.0}}) {
		t.Fatalf("stored data = %v, want only the cart", got)
	}
}

func TestFlushOfAnUnsavedSessionEmptiesIt(t *testing.T) {
	f := sqliteFixture(t, session.Options{})
	s := f.m.New()
	mustSet(t, s, "a", 1)
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !s.IsEmpty() {
		t.Fatalf("after Flush: keys %v, want none", s.Keys())
	}
	if n := f.rows(t); n != 0 {
		t.Fatalf("%d rows after flushing an unsaved session, want 0", n)
	}
}

func TestCycleKeyKeepsTheDataUnderANewKeyAndKillsTheOldOneAtOnce(t *testing.T) {
	ctx := context.Background()
	f := sqliteFixture(t, session.Options{})
	old := f.saved(t, map[string]any{"cart": "3 apples"}).Key()

	s := f.load(t, old)
	if err := s.CycleKey(ctx); err != nil {
		t.Fatal(err)
	}
	f.mustNotRecord(t, old) // a key stolen before login is worthless at once
	if got := mustGet[string](t, s, "cart"); got != "3 apples" {
		t.Fatalf("cart after CycleKey = %q", got)
	}
	if s.Key() == "" || s.Key() == old {
		t.Fatalf("key after CycleKey = %q, want a new one (old %q)", s.Key(), old)
	}
	if got := f.payload(t, s.Key()); got["cart"] != "3 apples" {
		t.Fatalf("stored data under the new key = %v", got)
	}
	if n := f.rows(t); n != 1 {
		t.Fatalf("%d rows after CycleKey, want 1", n)
	}
}

func TestCycleKeyThatCannotCreateTheNewRecordKeepsTheOldOne(t *testing.T) {
	ctx := context.Background()
	f := sqliteFixture(t, session.Options{})
	old := f.saved(t, map[string]any{"cart": "3 apples"}).Key()
	// The store refuses new sessions from now on, as a full disk would.
	if _, err := f.db.Exec(`CREATE TRIGGER refuse BEFORE INSERT ON django_session
		BEGIN SELECT RAISE(FAIL, 'disk full'); END`); err != nil {
		t.Fatal(err)
	}

	s := f.load(t, old)
	if err := s.CycleKey(ctx); !errors.Is(err, session.ErrUnavailable) {
		t.Fatalf("CycleKey with a failing store: err %v, want ErrUnavailable", err)
	}
	if s.Key() != old {
		t.Fatalf("key after a failed CycleKey = %q, want the old %q", s.Key(), old)
	}
	if got := mustGet[string](t, f.load(t, old), "cart"); got != "3 apples" {
		t.Fatalf("the old session after a failed CycleKey holds %q", got)
	}
}

func TestCycleKeyOfAnUnsavedSessionStillGetsItSaved(t *testing.T) {
	f := sqliteFixture(t, session.Options{})
	s := f.m.New()
	if err := s.CycleKey(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !s.Modified() || s.Key() != "" {
		t.Fatalf("CycleKey of an unsaved session: modified %v, key %q", s.Modified(), s.Key())
	}
}

// expiryAt is the instant the expiry tests pin the clock to: half a second
// past 09:00, so that the floor in ExpiryAge shows.
var expiryAt = time.Date(2026, 12, 12, 9, 0, 0, 500_000_000, time.UTC)

func TestExpiry(t *testing.T) {
	tenAM := time.Date(2026, 12, 12, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		name    string
		opts    session.Options
		set     func(s *session.Session)
		stored  string // the JSON of _session_expiry, "" for none
		age     int
		date    time.Time
		atClose bool
	}{
		{
			name: "default: two weeks from now, no _session_expiry",
			set:  func(s *session.Session) {},
			age:  defaultAge, date: expiryAt.Add(defaultAge * time.Second),
		},
		{
			name: "default with Options.Age",
			opts: session.Options{Age: time.Hour},
			set:  func(s *session.Session) {},
			age:  3600, date: expiryAt.Add(time.Hour),
		},
		{
			name: "default with Options.ExpireAtBrowserClose",
			opts: session.Options{ExpireAtBrowserClose: true},
			set:  func(s *session.Session) {},
			age:  defaultAge, date: expiryAt.Add(defaultAge * time.Second), atClose: true,
		},
		{
			name:   "SetExpiry(seconds) is stored as an int",
			set:    func(s *session.Session) { s.SetExpiry(300 * time.Second) },
			stored: `300`,
			age:    300, date: expiryAt.Add(300 * time.Second),
		},
		{
			name:   "SetExpiry drops fractions of a second",
			set:    func(s *session.Session) { s.SetExpiry(1500 * time.Millisecond) },
			stored: `1`,
			age:    1, date: expiryAt.Add(time.Second),
		},
		{
			name:   "SetExpiry(seconds) overrides Options.ExpireAtBrowserClose",
			opts:   session.Options{ExpireAtBrowserClose: true},
			set:    func(s *session.Session) { s.SetExpiry(time.Hour) },
			stored: `3600`,
			age:    3600, date: expiryAt.Add(time.Hour),
		},
		{
			name:   "SetExpiry(0): browser close, yet the record lives the default age",
			set:    func(s *session.Session) { s.SetExpiry(0) },
			stored: `0`,
			age:    defaultAge, date: expiryAt.Add(defaultAge * time.Second), atClose: true,
		},
		{
			name:   "SetExpiryDate is stored as Python's isoformat",
			set:    func(s *session.Session) { s.SetExpiryDate(tenAM) },
			stored: `"2026-12-12T10:00:00+00:00"`,
			age:    3599, date: tenAM,
		},
		{
			name:   "SetExpiryDate keeps microseconds as isoformat does",
			set:    func(s *session.Session) { s.SetExpiryDate(tenAM.Add(123456789 * time.Nanosecond)) },
			stored: `"2026-12-12T10:00:00.123456+00:00"`,
			age:    3599, date: tenAM.Add(123456 * time.Microsecond),
		},
		{
			name: "SetExpiryDate stores another zone as UTC",
			set: func(s *session.Session) {
				s.SetExpiryDate(time.Date(2026, 12, 12, 11, 0, 0, 0, time.FixedZone("CET", 3600)))
			},
			stored: `"2026-12-12T10:00:00+00:00"`,
			age:    3599, date: tenAM,
		},
		{
			name:   "SetExpiryDate overrides Options.ExpireAtBrowserClose",
			opts:   session.Options{ExpireAtBrowserClose: true},
			set:    func(s *session.Session) { s.SetExpiryDate(tenAM) },
			stored: `"2026-12-12T10:00:00+00:00"`,
			age:    3599, date: tenAM,
		},
		{
			name:   "SetExpiryDate in the past gives a negative age",
			set:    func(s *session.Session) { s.SetExpiryDate(expiryAt.Add(-90 * time.Second)) },
			stored: `"2026-12-12T08:58:30.500000+00:00"`,
			age:    -90, date: expiryAt.Add(-90 * time.Second),
		},
		{
			name: "ResetExpiry returns to the default",
			set: func(s *session.Session) {
				s.SetExpiry(0)
				s.ResetExpiry()
			},
			age: defaultAge, date: expiryAt.Add(defaultAge * time.Second),
		},
		{
			name: "ResetExpiry returns to Options.ExpireAtBrowserClose",
			opts: session.Options{ExpireAtBrowserClose: true},
			set: func(s *session.Session) {
				s.SetExpiry(time.Hour)
				s.ResetExpiry()
			},
			age: defaultAge, date: expiryAt.Add(defaultAge * time.Second), atClose: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := sqliteFixture(t, tc.opts)
			f.clock.Set(expiryAt)
			s := f.m.New()
			tc.set(s)

			var raw json.RawMessage
			found, _ := s.Get("_session_expiry", &raw)
			switch {
			case tc.stored == "" && found:
				t.Errorf("_session_expiry = %s, want none", raw)
			case tc.stored != "" && string(raw) != tc.stored:
				t.Errorf("_session_expiry = %s, want %s", raw, tc.stored)
			}
			if got := s.ExpiryAge(); got != tc.age {
				t.Errorf("ExpiryAge() = %d, want %d", got, tc.age)
			}
			if got := s.ExpiryDate(); !got.Equal(tc.date) {
				t.Errorf("ExpiryDate() = %v, want %v", got, tc.date)
			}
			if got := s.ExpireAtBrowserClose(); got != tc.atClose {
				t.Errorf("ExpireAtBrowserClose() = %v, want %v", got, tc.atClose)
			}
		})
	}
}

func TestExpiryAgeCountsDownWithTheClock(t *testing.T) {
	f := sqliteFixture(t, session.Options{})
	f.clock.Set(expiryAt)
	s := f.m.New()
	s.SetExpiryDate(expiryAt.Add(time.Hour))
	f.clock.Advance(10 * time.Minute)
	if got := s.ExpiryAge(); got != 3000 {
		t.Fatalf("ExpiryAge() ten minutes later = %d, want 3000", got)
	}
	s.SetExpiry(time.Hour)
	f.clock.Advance(10 * time.Minute)
	if got, want := s.ExpiryDate(), f.clock.Now().Add(time.Hour); !got.Equal(want) {
		t.Fatalf("ExpiryDate() of a relative expiry = %v, want an hour from now (%v)", got, want)
	}
}

// TestExpiryReadsWhatDjangoStores feeds _session_expiry in every form Django
// writes (an int, or since Django 4.1 an isoformat string, naive when
// USE_TZ=False) and in forms it never writes, which count as no expiry.
func TestExpiryReadsWhatDjangoStores(t *testing.T) {
	const century = 100 * 365 * 24 * 3600 // the longest age a session is given
	tenAM := time.Date(2026, 12, 12, 10, 0, 0, 0, time.UTC)
	defaultDate := expiryAt.Add(defaultAge * time.Second)
	cases := []struct {
		stored  string // the JSON value of _session_expiry
		age     int
		date    time.Time
		atClose bool
	}{
		{stored: `3600`, age: 3600, date: expiryAt.Add(time.Hour)},
		{stored: `0`, age: defaultAge, date: defaultDate, atClose: true},
		{stored: `"2026-12-12T10:00:00+00:00"`, age: 3599, date: tenAM},
		{stored: `"2026-12-12T10:00:00.123456+00:00"`, age: 3599, date: tenAM.Add(123456 * time.Microsecond)},
		{stored: `"2026-12-12T11:00:00+01:00"`, age: 3599, date: tenAM},
		{stored: `"2026-12-12T10:00:00Z"`, age: 3599, date: tenAM},
		{stored: `"2026-12-12T10:00:00"`, age: 3599, date: tenAM},
		{stored: `"2026-12-12T10:00:00.123456"`, age: 3599, date: tenAM.Add(123456 * time.Microsecond)},
		{stored: `"2026-12-12 10:00:00+00:00"`, age: 3599, date: tenAM},
		{stored: `"2026-12-12 10:00:00"`, age: 3599, date: tenAM},
		{stored: `null`, age: defaultAge, date: defaultDate},
		{stored: `"next tuesday"`, age: defaultAge, date: defaultDate},
		{stored: `true`, age: defaultAge, date: defaultDate},
		{stored: `[3600]`, age: defaultAge, date: defaultDate},
		// Found by FuzzExpiry and FuzzParseISO: an age past what
		// time.Duration holds made a date in the past, and a date that UTC
		// takes past year 9999 could not be shown as JSON.
		{stored: `1e10`, age: century, date: expiryAt.Add(century * time.Second)},
		{stored: `-1e300`, age: -century, date: expiryAt.Add(-century * time.Second)},
		{stored: `"9999-12-31T23:59:59-01:00"`, age: defaultAge, date: defaultDate},
		{stored: `"0001-01-01T00:00:00+01:00"`, age: defaultAge, date: defaultDate},
	}
	for _, tc := range cases {
		t.Run(tc.stored, func(t *testing.T) {
			f := sqliteFixture(t, session.Options{})
			f.clock.Set(expiryAt)
			s := f.m.New()
			mustSet(t, s, "_session_expiry", json.RawMessage(tc.stored))
			if got := s.ExpiryAge(); got != tc.age {
				t.Errorf("ExpiryAge() = %d, want %d", got, tc.age)
			}
			if got := s.ExpiryDate(); !got.Equal(tc.date) {
				t.Errorf("ExpiryDate() = %v, want %v", got, tc.date)
			}
			if got := s.ExpireAtBrowserClose(); got != tc.atClose {
				t.Errorf("ExpireAtBrowserClose() = %v, want %v", got, tc.atClose)
			}
		})
	}
}

func TestExpiryIsStoredInTheSessionDataAsDjangoStoresIt(t *testing.T) {
	cases := []struct {
		name string
		set  func(s *session.Session)
		want any // the decoded _session_expiry
	}{
		{"seconds as an int", func(s *session.Session) { s.SetExpiry(time.Hour) }, 3600.0},
		{"browser close as 0", func(s *session.Session) { s.SetExpiry(0) }, 0.0},
		{"a date as an isoformat string", func(s *session.Session) {
			s.SetExpiryDate(time.Date(2099, 1, 2, 3, 4, 5, 0, time.UTC))
		}, "2099-01-02T03:04:05+00:00"},
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
			if got := f.payload(t, s.Key())["_session_expiry"]; got != tc.want {
				t.Fatalf("stored _session_expiry = %#v, want %#v", got, tc.want)
			}
			// And it reads back from the store unchanged.
			loaded := f.load(t, s.Key())
			if loaded.ExpiryAge() != s.ExpiryAge() || loaded.ExpireAtBrowserClose() != s.ExpireAtBrowserClose() {
				t.Fatalf("after a round trip: age %d, at close %v; want %d, %v",
					loaded.ExpiryAge(), loaded.ExpireAtBrowserClose(), s.ExpiryAge(), s.ExpireAtBrowserClose())
			}
		})
	}
}

func TestSessionDataKeepsLargeIntegersExact(t *testing.T) {
	f := sqliteFixture(t, session.Options{})
	s := f.m.New()
	const big = int64(math.MaxInt64 - 1)
	mustSet(t, s, "big", big)
	if err := f.m.Save(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	if got := mustGet[int64](t, f.load(t, s.Key()), "big"); got != big {
		t.Fatalf("big after a round trip = %d, want %d", got, big)
	}
}
